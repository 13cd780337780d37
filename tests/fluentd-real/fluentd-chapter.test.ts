import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fluentdOutageSuite } from '../helpers/fluentd-outages.ts';
import { pollUntil } from '../helpers/net.ts';

/**
 * The opt-in fluentd-real tier (`TUTORIAL_REAL_FLUENTD=1 npm test -- --only fluentd-real`): the
 * fluentd chapter's checks, in every outage case, against a real fluentd with
 * compose/fluentd/fluent.conf (Elasticsearch's host and port pointed at the test's relay, binds
 * on 127.0.0.1, ports of the test's choosing). TUTORIAL_FLUENTD names the executable (default
 * `fluentd`); it needs fluent-plugin-elasticsearch 5.x and the elasticsearch gem 8.x. CI cannot
 * install fluentd (no rubygems), so CI never runs this tier.
 */

const FLUENTD = process.env.TUTORIAL_FLUENTD ?? 'fluentd';
const CONF = resolve(import.meta.dirname, '../../compose/fluentd/fluent.conf');

/** compose/fluentd/fluent.conf with this test's addresses; fails if one of them is not where it was. */
function configFor(esUrl: string, forwardPort: number, monitorPort: number): string {
  const es = new URL(esUrl);
  let conf = readFileSync(CONF, 'utf8');
  const swaps: [RegExp, string][] = [
    [/^(\s*)port 24224$/m, `$1port ${forwardPort}`],
    [/^(\s*)port 24220$/m, `$1port ${monitorPort}`],
    [/^(\s*)host elasticsearch$/m, `$1host ${es.hostname}`],
    [/^(\s*)port 9200$/m, `$1port ${es.port}`],
    [/^(\s*)bind 0\.0\.0\.0$/gm, '$1bind 127.0.0.1'],
  ];
  for (const [from, to] of swaps) {
    if (!from.test(conf)) throw new Error(`compose/fluentd/fluent.conf has no line matching ${from}; update this test.`);
    conf = conf.replace(from, to);
  }
  return conf;
}

fluentdOutageSuite(({ esUrl, forwardPort, monitorPort }) => {
  const dir = mkdtempSync(join(tmpdir(), 'fluentd-real-'));
  const file = join(dir, 'fluent.conf');
  writeFileSync(file, configFor(esUrl, forwardPort, monitorPort));
  const logs: string[] = [];
  // Its own process group: the supervisor and its worker stop together.
  const child: ChildProcess = spawn(FLUENTD, ['-c', file], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const collect = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    logs.push(...lines);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const running = pollUntil(
    () =>
      fetch(`http://127.0.0.1:${monitorPort}/api/plugins.json`).then(
        (r) => r.ok,
        () => false,
      ),
    "fluentd's monitor_agent",
    300_000,
    250,
  ).then(() => undefined);
  running.catch(() => undefined);
  return {
    logs,
    running,
    async close() {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
      const killed = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, 10);
