import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../protocol/messages.ts';
import { DEFAULT_ENDPOINTS, type Endpoints } from '../../../server/stack/endpoints.ts';
import { pollStack, serviceProbes } from '../../../server/stack/status.ts';
import { type FluentdMonitorFake, startFluentdMonitor } from '../../fakes/fluentd-monitor.ts';
import { type KibanaFake, startKibana } from '../../fakes/kibana.ts';
import { type Listening, listenLocal } from '../../helpers/http-listen.ts';
import { freePort } from '../../helpers/net.ts';
import { startTestServer } from '../../helpers/server.ts';
import { TestClient } from '../../helpers/ws-client.ts';

/**
 * The stack panel's lights (server/stack/status.ts) against local servers on 127.0.0.1: each
 * service is told apart from another program on its port by an answer only that service gives.
 * A real MLflow server is asked in tests/integration/mlflow, the database's container health in
 * tests/integration/docker, a real SeaweedFS in tests/integration/s3.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Listening[] = [];
async function serve(handler: Handler): Promise<string> {
  const l = await listenLocal(createServer(handler));
  servers.push(l);
  return l.url;
}
const answer =
  (status: number, body: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

let kibana: KibanaFake;
let fluentd: FluentdMonitorFake;
let closed: string;
const noDocker = mkdtempSync(join(tmpdir(), 'no-docker-'));

beforeAll(async () => {
  kibana = await startKibana('available');
  fluentd = await startFluentdMonitor('es-back');
  closed = `http://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  await Promise.all([...servers.map((s) => s.close()), kibana.close(), fluentd.close()]);
  rmSync(noDocker, { recursive: true, force: true });
});

const ask = (e: Partial<Endpoints>, id: keyof ReturnType<typeof serviceProbes>) =>
  serviceProbes({ ...DEFAULT_ENDPOINTS, docker: { socketPath: join(noDocker, 'docker.sock') }, ...e })[id].ask(AbortSignal.timeout(5000));

/** What MLflow 3 answers on the paths the panel asks, in shape (the real server is asked in tests/integration/mlflow). */
const mlflowLike: Handler = (req, res) => {
  if (req.url === '/health') return answer(200, 'OK', { 'content-type': 'text/html; charset=utf-8' })(req, res);
  if (req.url === '/version') return answer(200, '3.17.2', { 'content-type': 'text/html; charset=utf-8' })(req, res);
  if (req.url === '/api/2.0/mlflow/experiments/search?max_results=1') {
    const body = { experiments: [{ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' }], next_page_token: 'x' };
    return answer(200, JSON.stringify(body), { 'content-type': 'application/json' })(req, res);
  }
  answer(404, 'Not Found')(req, res);
};

/**
 * What SeaweedFS 4.53's S3 gateway (`weed mini` with one identity, as the stack runs it) answered
 * to an unsigned `GET /`, byte for byte but for the Date header.
 */
const seaweedfsLike =
  (status = 403, code = 'AccessDenied', server = 'SeaweedFS 30GB 4.53'): Handler =>
  (req, res) => {
    if (req.url !== '/') return answer(404, 'Not Found')(req, res);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>Access Denied.</Message><Resource>/</Resource><RequestId>18EEE6F65A147A2F83DC537D</RequestId></Error>`;
    answer(status, body, {
      'accept-ranges': 'bytes',
      'content-type': 'application/xml',
      server,
      'x-amz-request-id': '18EEE6F65A147A2F83DC537D',
    })(req, res);
  };

describe('the stack panel', () => {
  it('knows MLflow by /health "OK" and a version number at /version', async () => {
    expect(await ask({ mlflow: await serve(mlflowLike) }, 'mlflow')).toEqual({ state: 'up', detail: 'MLflow 3.17.2' });
  });

  it("shows another program on MLflow's port as something else, not as MLflow", async () => {
    // macOS's AirPlay Receiver on 5000 answers every request with an empty 403.
    const airplay = await serve(answer(403, '', { server: 'AirTunes/860.7.1' }));
    expect(await ask({ mlflow: airplay }, 'mlflow')).toEqual({ state: 'other', detail: 'something else answers on this port' });
    // A web app with a health route of its own is not MLflow either.
    const app = await serve((req, res) => (req.url === '/health' ? answer(200, 'OK')(req, res) : answer(404, 'no such page')(req, res)));
    expect(await ask({ mlflow: app }, 'mlflow')).toEqual({ state: 'other', detail: 'something else answers on this port' });
  });

  it('says when MLflow refuses the address it is asked at', async () => {
    const strict = await serve(answer(403, 'Invalid Host header - possible DNS rebinding attack detected'));
    expect(await ask({ mlflow: strict }, 'mlflow')).toEqual({
      state: 'down',
      detail: 'refuses this address (Invalid Host header); see --allowed-hosts',
    });
  });

  it('shows a closed port as not running', async () => {
    for (const id of ['elasticsearch', 'kibana', 'fluentd', 'mlflow', 'adminer', 'seaweedfs'] as const) {
      const r = await ask({ es: closed, kibana: closed, fluentd_monitor: closed, mlflow: closed, adminer: closed, s3: closed }, id);
      expect(r, id).toEqual({ state: 'down', detail: 'not running' });
    }
  });

  it('knows Elasticsearch, Kibana, fluentd and adminer by their own answers', async () => {
    const es = await serve(answer(200, JSON.stringify({ cluster_name: 'docker-cluster', status: 'yellow', number_of_nodes: 1 })));
    expect(await ask({ es }, 'elasticsearch')).toEqual({ state: 'up', detail: 'cluster yellow' });
    const red = await serve(answer(200, JSON.stringify({ cluster_name: 'docker-cluster', status: 'red' })));
    expect(await ask({ es: red }, 'elasticsearch')).toEqual({ state: 'down', detail: 'cluster red' });

    expect(await ask({ kibana: kibana.url }, 'kibana')).toEqual({ state: 'up', detail: 'available' });
    kibana.setState('not-ready');
    expect(await ask({ kibana: kibana.url }, 'kibana')).toEqual({ state: 'down', detail: 'starting' });

    expect(await ask({ fluentd_monitor: fluentd.url }, 'fluentd')).toEqual({ state: 'up', detail: '3 plugins' });

    const adminer = await serve(answer(200, '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<title>Login - Adminer</title>'));
    expect(await ask({ adminer }, 'adminer')).toEqual({ state: 'up', detail: 'login page' });
  });

  it('shows any other answer on those ports as something else', async () => {
    const other = await serve(answer(200, '<html><title>Jupyter Server</title></html>', { 'content-type': 'text/html' }));
    for (const [id, e] of [
      ['elasticsearch', { es: other }],
      ['kibana', { kibana: other }],
      ['fluentd', { fluentd_monitor: other }],
      ['adminer', { adminer: other }],
      ['seaweedfs', { s3: other }],
    ] as const) {
      expect(await ask(e, id), id).toEqual({ state: 'other', detail: 'something else answers on this port' });
    }
  });

  it("knows SeaweedFS's S3 API by its Server header and S3's XML: refused without a signature, or open to anyone", async () => {
    expect(await ask({ s3: await serve(seaweedfsLike()) }, 'seaweedfs')).toEqual({ state: 'up', detail: 'SeaweedFS 4.53' });
    // With no identity configured, weed 4.53 lists its buckets to anyone (the body as measured).
    const buckets = ['dvc', 'mlflow-artifacts']
      .map((b) => `<Bucket><Name>${b}</Name><CreationDate>2026-12-07T07:28:29.000Z</CreationDate></Bucket>`)
      .join('');
    const list = `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID></ID></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`;
    const open = await serve(
      answer(200, list, {
        'content-type': 'application/xml',
        server: 'SeaweedFS 30GB 4.53',
        'x-amz-request-id': '18EEE81C5DAFE244D00BC6F6',
      }),
    );
    expect(await ask({ s3: open }, 'seaweedfs')).toEqual({ state: 'up', detail: 'SeaweedFS 4.53, open to anyone' });
  });

  it('shows another S3 server, or a SeaweedFS part that is not the S3 API, as something else', async () => {
    // MinIO refuses an unsigned list in the same S3 words, under its own name (in shape: the header tells them apart).
    const minio = await serve(seaweedfsLike(403, 'AccessDenied', 'MinIO'));
    expect(await ask({ s3: minio }, 'seaweedfs')).toEqual({ state: 'other', detail: 'something else answers on this port' });
    // SeaweedFS's filer names itself the same way, but answers `GET /` with its HTML listing (as weed 4.53's did).
    const filerPage = '<!DOCTYPE html>\n<html>\n<head>\n    <title>SeaweedFS Filer 30GB 4.53 </title>';
    const filer = await serve(answer(200, filerPage, { server: 'SeaweedFS 30GB 4.53', 'content-type': 'text/html; charset=utf-8' }));
    expect(await ask({ s3: filer }, 'seaweedfs')).toEqual({ state: 'other', detail: 'something else answers on this port' });
  });

  it('says what SeaweedFS answers when it is there but does not serve', async () => {
    const busy = await serve(seaweedfsLike(503, 'ServiceUnavailable'));
    expect(await ask({ s3: busy }, 'seaweedfs')).toEqual({ state: 'down', detail: 'answers 503 ServiceUnavailable' });
  });

  it('shows the database off when Docker does not answer (the stack cannot run without it)', async () => {
    expect(await ask({}, 'postgres')).toEqual({ state: 'down', detail: 'Docker does not answer' });
  });

  it('reports every service in the order of the panel, with the address of each UI', async () => {
    const statuses = await pollStack({
      ...DEFAULT_ENDPOINTS,
      es: closed,
      kibana: closed,
      fluentd_monitor: closed,
      mlflow: closed,
      adminer: closed,
      s3: closed,
      docker: { socketPath: join(noDocker, 'docker.sock') },
    });
    expect(statuses.map((s) => [s.id, s.state, s.url])).toEqual([
      ['elasticsearch', 'down', closed],
      ['kibana', 'down', closed],
      ['fluentd', 'down', undefined],
      ['postgres', 'down', undefined],
      ['mlflow', 'down', closed],
      ['adminer', 'down', closed],
      // The S3 port has no page to open: no link.
      ['seaweedfs', 'down', undefined],
    ]);
  });
});

describe("the tutorial server's stack panel", () => {
  it("asks MLflow where the workspace's compose/.env puts it, and follows the file when it changes", async () => {
    const first = await serve(mlflowLike);
    const second = await serve(mlflowLike);
    const workspace = join(noDocker, 'workspace');
    mkdirSync(join(workspace, 'compose'), { recursive: true });
    const envFile = join(workspace, 'compose', '.env');
    writeFileSync(envFile, `MLFLOW_PORT=${new URL(first).port}\n`);
    // No fixed endpoints: the server reads the workspace's compose/.env, as `npm start` does.
    const server = await startTestServer({ workspace, endpoints: undefined, stackStatusSeconds: 1 });
    const client = await TestClient.open(server);
    try {
      const mlflowAt = (url: string) => (m: ServerMessage) =>
        m.type === 'stack-status' && m.services.some((s) => s.id === 'mlflow' && s.url === url && s.state === 'up');
      await client.waitFor(mlflowAt(first), `the panel to find MLflow at ${first}`);
      writeFileSync(envFile, `# moved\nMLFLOW_PORT=${new URL(second).port}\n`);
      await client.waitFor(mlflowAt(second), `the panel to find MLflow at ${second}`);
      const urls = client.messages.flatMap((m) =>
        m.type === 'stack-status' ? m.services.filter((s) => s.id === 'mlflow').map((s) => s.url) : [],
      );
      expect(new Set(urls)).toEqual(new Set([first, second]));
    } finally {
      await client.close();
      await server.dispose();
    }
  });
});
