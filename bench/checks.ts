import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import type { Check } from '../protocol/probes/index.ts';
import { CheckSchema } from '../protocol/probes/index.ts';
import { runCheck } from '../server/checks/engine.ts';
import { CONTENT_DIR } from '../server/paths.ts';
import { DEFAULT_ENDPOINTS, type Endpoints } from '../server/stack/endpoints.ts';
import { loadChapters } from '../server/tutorial/content.ts';
import { startFluentdMonitor } from '../tests/fakes/fluentd-monitor.ts';
import { startKibana } from '../tests/fakes/kibana.ts';
import { freePort } from './lib/proc.ts';
import { type Bench, type Row, repeat } from './lib/report.ts';

/**
 * Checks: the time until the last result of a whole chapter's checks, with every service up
 * (local stand-ins) and with every service down (closed ports).
 */

/** A fixture chapter of many service probes, each step one check, as chapters write them. */
const FIXTURE: unknown[] = [
  { kind: 'elasticsearch', health: ['green', 'yellow'] },
  { kind: 'elasticsearch', major: 8 },
  { kind: 'elasticsearch', index: 'logstash-*' },
  { kind: 'elasticsearch', index: 'logstash-*', query: '"bench"', atLeast: 1 },
  { kind: 'http', url: '{{es}}/_cluster/health', json: { status: ['green', 'yellow'] }, name: 'Elasticsearch' },
  { kind: 'http', url: '{{kibana}}/api/status', status: 200, name: 'Kibana' },
  { kind: 'kibana', status: ['available'] },
  { kind: 'kibana', dataView: 'logstash-*' },
  { kind: 'mlflow', health: true },
  { kind: 'mlflow', experiment: 'bench-experiment' },
  { kind: 'fluentd' },
  { kind: 'http', url: '{{adminer}}/', name: 'Adminer' },
  { kind: 'tcp', port: 0, name: "fluentd's forward input" },
  { kind: 'tcp', port: 0, name: 'PostgreSQL' },
  {
    all: [
      { kind: 'elasticsearch', health: ['green', 'yellow'] },
      { kind: 'kibana', status: ['available'] },
      { kind: 'mlflow', health: true },
      { kind: 'fluentd' },
    ],
  },
];

/** The fixture's checks against these endpoints; the PostgreSQL stand-in (a TCP port) is not one of them. */
function fixtureChecks(e: Endpoints, postgresPort: number): Check[] {
  return FIXTURE.map((c, i) => {
    const spec = structuredClone(c) as { kind?: string; port?: number };
    if (spec.kind === 'tcp') spec.port = i === 12 ? e.fluentd.port : postgresPort;
    return CheckSchema.parse(spec);
  });
}

/** One local server that answers what the Elasticsearch, MLflow and Adminer probes ask. */
function standIn(): Promise<{ server: Server; url: string }> {
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const p = url.pathname;
    if (p === '/') return json({ name: 'bench', cluster_name: 'bench', version: { number: '8.19.0' }, tagline: 'You Know, for Search' });
    if (p === '/_cluster/health') return json({ cluster_name: 'bench', status: 'green' });
    if (p.startsWith('/_cat/indices/')) return json([{ index: 'logstash-2026.01.01', health: 'green', 'docs.count': '3' }]);
    if (p.endsWith('/_count')) return json({ count: 3 });
    if (p === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('OK');
    }
    if (p === '/api/2.0/mlflow/experiments/search') return json({ experiments: [{ experiment_id: '1', name: 'bench-experiment' }] });
    if (p === '/api/2.0/mlflow/experiments/get-by-name')
      return json({ experiment: { experiment_id: '1', name: 'bench-experiment', artifact_location: 'mlflow-artifacts:/1' } });
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>Adminer stand-in</html>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}

function tcpListener(): Promise<{ server: TcpServer; port: number }> {
  const server = createTcpServer((s) => s.destroy());
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

/** Runs every check at once (as pressing Check on every step) and returns the time to the last result. */
async function timeAll(checks: Check[], endpoints: Endpoints): Promise<{ ms: number; ok: number; sequentialMs: number }> {
  const workspace = tmpdir();
  const t0 = performance.now();
  const results = await Promise.all(checks.map((c) => runCheck(c, { workspace, endpoints, marker: 'bench' })));
  const ms = performance.now() - t0;
  const t1 = performance.now();
  for (const c of checks) await runCheck(c, { workspace, endpoints, marker: 'bench' });
  return { ms, ok: results.filter((r) => r.ok).length, sequentialMs: performance.now() - t1 };
}

export const checks: Bench = async (ctx) => {
  const rows: Row[] = [];
  const notes: string[] = [];

  // Every service up: local stand-ins on free ports.
  const es = await standIn();
  const kibana = await startKibana('available');
  kibana.dataViews.push({ id: 'bench', namespaces: ['default'], title: 'logstash-*', name: 'logstash-*', typeMeta: {} });
  const fluentd = await startFluentdMonitor('delivered');
  const forward = await tcpListener();
  const postgres = await tcpListener();
  const up: Endpoints = {
    ...DEFAULT_ENDPOINTS,
    es: es.url,
    mlflow: es.url,
    adminer: es.url,
    kibana: kibana.url,
    fluentd_monitor: fluentd.url,
    fluentd: { host: '127.0.0.1', port: forward.port },
  };
  // Every service down: ports that were free a moment ago (nothing listens: connection refused).
  const closed = async () => `http://127.0.0.1:${await freePort()}`;
  const down: Endpoints = {
    ...DEFAULT_ENDPOINTS,
    es: await closed(),
    mlflow: await closed(),
    adminer: await closed(),
    kibana: await closed(),
    fluentd_monitor: await closed(),
    fluentd: { host: '127.0.0.1', port: await freePort() },
  };
  const downPort = await freePort();
  try {
    for (const [label, e, postgresPort] of [
      ['every service up (local stand-ins)', up, postgres.port],
      ['every service down (closed ports)', down, downPort],
    ] as const) {
      const list = fixtureChecks(e, postgresPort);
      const rs = await repeat(ctx, `checks ${label}`, () => timeAll(list, e));
      rows.push({
        label: `fixture chapter, ${list.length} checks, ${label}: all at once`,
        unit: 'ms',
        values: rs.map((r) => r.ms),
        digits: 1,
        ...(e === down ? { target: { op: '<=' as const, value: 2000, text: '≤ 2,000 ms' } } : {}),
      });
      rows.push({ label: `fixture chapter, ${label}: one after another`, unit: 'ms', values: rs.map((r) => r.sequentialMs), digits: 1 });
      notes.push(`Fixture chapter, ${label}: ${rs[0]?.ok ?? 0} of ${list.length} checks passed.`);
    }
  } finally {
    await new Promise((r) => es.server.close(r));
    await kibana.close();
    await fluentd.close();
    forward.server.close();
    postgres.server.close();
  }

  // The real chapters as they are here, with the endpoints of this machine (the defaults).
  for (const chapter of loadChapters(CONTENT_DIR).filter((c) => c.steps.length > 0)) {
    const list = chapter.steps.map((s) => s.check);
    const rs = await repeat(ctx, `checks ${chapter.id}`, () => timeAll(list, DEFAULT_ENDPOINTS));
    rows.push({
      label: `real chapter ${chapter.id} (${list.length} steps), services as on this machine: all at once`,
      unit: 'ms',
      values: rs.map((r) => r.ms),
      digits: 1,
      target: { op: '<=', value: 2000, text: '≤ 2,000 ms' },
    });
    rows.push({ label: `real chapter ${chapter.id}: one after another`, unit: 'ms', values: rs.map((r) => r.sequentialMs), digits: 1 });
    notes.push(`Real chapter ${chapter.id}: ${rs[0]?.ok ?? 0} of ${list.length} checks passed here.`);
  }
  return {
    id: 'checks',
    title: 'Checks',
    method:
      "Time until the last result of a whole chapter's checks, run in the bench process through server/checks/engine.ts runCheck: all of the chapter's step checks at once (as pressing Check on every step), and one after another (as a chapter run does). The fixture chapter probes Elasticsearch (health, major, index, query count), Kibana (status, data view), MLflow (health, experiment), fluentd's monitor, HTTP and TCP ports, and one `all` of four services. Up: a local stand-in answers the Elasticsearch, MLflow and Adminer requests, tests/fakes/ answer Kibana and fluentd, plain listeners the TCP ports. Down: every endpoint on a port where nothing listens. The real chapters in content/docs/chapters run against this machine's default endpoints (no Docker engine or stack is running during the bench unless one is started).",
    rows,
    notes,
  };
};
