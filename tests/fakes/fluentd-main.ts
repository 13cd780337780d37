// A fake: the standalone fluentd of tests/fakes/fluentd.ts (fluentd itself cannot run here), for a container or a shell: `node tests/fakes/fluentd-main.ts --es http://elasticsearch:9200`.
import { parseArgs } from 'node:util';
import { startFluentdFake } from './fluentd.ts';

/**
 * Options (defaults as compose/fluentd/fluent.conf has them): --es URL (required), --bind
 * 0.0.0.0, --forward-port 24224, --monitor-port 24220, --flush-interval 3000 (ms). Logs go to
 * standard output as fluentd prints them; SIGTERM and SIGINT stop it as a graceful stop does.
 */
const { values } = parseArgs({
  options: {
    es: { type: 'string' },
    bind: { type: 'string', default: '0.0.0.0' },
    'forward-port': { type: 'string', default: '24224' },
    'monitor-port': { type: 'string', default: '24220' },
    'flush-interval': { type: 'string', default: '3000' },
  },
});
if (!values.es) {
  process.stderr.write('fluentd fake: --es URL is required (where Elasticsearch answers, e.g. http://elasticsearch:9200)\n');
  process.exit(2);
}
const fake = startFluentdFake({
  esUrl: values.es,
  bind: values.bind,
  forwardPort: Number(values['forward-port']),
  monitorPort: Number(values['monitor-port']),
  flushIntervalMs: Number(values['flush-interval']),
  log: (line) => process.stdout.write(`${line}\n`),
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void fake.close().then(() => process.exit(0)));
}
