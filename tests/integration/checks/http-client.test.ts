import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../../server/checks/engine.ts';
import { requestFailedResult } from '../../../server/checks/http-client.ts';
import { elasticsearchModule as elasticsearch } from '../../../server/checks/probes/elasticsearch.ts';
import { mlflowModule as mlflow } from '../../../server/checks/probes/mlflow.ts';
import type { ProbeContext } from '../../../server/checks/types.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { httpRequest } from '../../../server/stack/http.ts';
import { freePort } from '../../helpers/net.ts';

// A TCP server that accepts connections and never writes a byte: a hung service.
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();

function ctx(timeoutMs: number, endpoints = DEFAULT_ENDPOINTS): ProbeContext {
  return { workspace: '/tmp', endpoints, signal: AbortSignal.timeout(timeoutMs), timeoutMs, env: process.env };
}

beforeAll(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('http-client helper', () => {
  it('reports a refused connection as "refused", before the deadline', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const signal = AbortSignal.timeout(10_000);
    const out = await httpRequest(url, { signal });
    expect(out).toMatchObject({ kind: 'refused', code: 'ECONNREFUSED' });
    // "At once" means: the answer came from the refusal, not from the 10 s deadline.
    expect(signal.aborted).toBe(false);
  });

  it('reports a port that accepts and never answers as "timeout" when the signal fires', async () => {
    const out = await httpRequest(silentUrl, { signal: AbortSignal.timeout(300) });
    expect(out.kind).toBe('timeout');
  });

  it('reports an address that is not a URL as a value, which the http probe words for the learner', async () => {
    const out = await httpRequest('not a url', { signal: AbortSignal.timeout(10_000) });
    expect(out).toMatchObject({ kind: 'unreachable', code: 'ERR_INVALID_URL' });
    if (out.kind === 'answer') throw new Error('no answer expected');
    expect(requestFailedResult(out, undefined, 1000).message).toBe('The address not a url is not a valid URL.');
  });
});

describe('probe deadlines', () => {
  it('the elasticsearch probe says a silent service did not answer in time', async () => {
    const r = await elasticsearch.run(elasticsearch.schema.parse({ kind: 'elasticsearch', url: silentUrl, health: ['green'] }), ctx(300));
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`Elasticsearch at ${silentUrl} accepted the connection but did not answer within 0.3 seconds.`);
  });

  it('the mlflow probe says so too', async () => {
    const r = await mlflow.run(mlflow.schema.parse({ kind: 'mlflow', url: silentUrl, health: true }), ctx(300));
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`The MLflow server at ${silentUrl} accepted the connection but did not answer within 0.3 seconds.`);
  });

  it("through the engine, a silent service ends the check at its timeout with the probe's own message", async () => {
    const probe = elasticsearch.schema.parse({ kind: 'elasticsearch', health: ['green'], timeout: 0.5 });
    const r = await runCheck(probe, {
      workspace: '/tmp',
      endpoints: { ...DEFAULT_ENDPOINTS, es: silentUrl },
    });
    expect(r.ok).toBe(false);
    // The engine gives a probe that honours its signal a grace to answer with its own message.
    expect(r.message).toBe(`Elasticsearch at ${silentUrl} accepted the connection but did not answer within 0.5 seconds.`);
  });

  it('a closed port fails the probe with "not running" and the start command', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await mlflow.run(mlflow.schema.parse({ kind: 'mlflow', url, health: true }), ctx(10_000));
    expect(r.message).toBe(`The MLflow server is not running at ${url}: the connection was refused.`);
    expect(r.hint).toBe('Start it with `docker compose up -d mlflow`, then check again.');
  });
});
