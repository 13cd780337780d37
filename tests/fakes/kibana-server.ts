// A fake: Kibana cannot run here (no Elastic images, no registry, and Kibana 8.19 needs x-pack), so this program stands in for the Kibana container of the compose tier and the self-test, answering the APIs the tutorial asks of Kibana (tests/fakes/kibana.ts).
/**
 * The container's program (tests/services/stack-images/kibana/Dockerfile): listens on
 * 0.0.0.0:5601, reports the version the image was built for, and follows Elasticsearch at
 * ELASTICSEARCH_HOSTS the way Kibana does: "Kibana server is not ready yet" (503) until
 * Elasticsearch first answers, `available` while it answers, `unavailable` while it does not.
 * Data views live in this process only (Kibana keeps them in Elasticsearch).
 */
import { startKibana } from './kibana.ts';

const port = Number(process.env.SERVER_PORT ?? 5601);
const version = process.env.KIBANA_VERSION ?? '8.19.21';
const es = (process.env.ELASTICSEARCH_HOSTS ?? 'http://elasticsearch:9200').split(',')[0]!.replace(/\/$/, '');
const log = (level: string, text: string) =>
  console.log(JSON.stringify({ '@timestamp': new Date().toISOString(), 'log.level': level, message: text }));

const basePath = process.env.SERVER_BASEPATH ?? '';
const kibana = await startKibana('not-ready', { listen: { host: '0.0.0.0', port }, version, basePath });
log('warn', `This is a FAKE Kibana (tests/fakes/kibana-server.ts in the tutorial's repository), not Kibana ${version}.`);
log('info', `Listening on http://0.0.0.0:${port}; following Elasticsearch at ${es}.`);

let seen = false;
let reachable: boolean | undefined;
async function follow(): Promise<void> {
  let ok = false;
  try {
    const res = await fetch(`${es}/`, { signal: AbortSignal.timeout(2000) });
    ok = res.ok;
    await res.arrayBuffer();
  } catch {
    ok = false;
  }
  if (ok !== reachable) {
    reachable = ok;
    if (ok) seen = true;
    kibana.setState(ok ? 'available' : seen ? 'unavailable' : 'not-ready');
    log(
      ok ? 'info' : 'error',
      ok ? `Elasticsearch at ${es} answers: available.` : `Unable to retrieve version information from Elasticsearch nodes at ${es}.`,
    );
  }
}
await follow();
const timer = setInterval(() => void follow(), 2000);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    clearInterval(timer);
    void kibana.close().then(() => process.exit(0));
  });
