import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ElasticsearchProbe, elasticsearchProbe } from '../../../protocol/probes/elasticsearch.ts';
import { runProbe } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { type EsBannerFake, startEsBanner } from '../../fakes/es-banner.ts';
import { testEnv } from '../../helpers/env.ts';
import { freePort } from '../../helpers/net.ts';

// The real Elasticsearch 8.19.21 node from tests/services/elasticsearch/start.sh.
const esUrl = testEnv.elasticsearchUrl;
const suffix = randomBytes(4).toString('hex');
const index = `logstash-test-${suffix}`;

function check(spec: Omit<ElasticsearchProbe, 'kind' | 'atLeast'> & { atLeast?: number }, marker?: string, es = esUrl) {
  const probe = elasticsearchProbe.parse({ kind: 'elasticsearch', ...spec });
  return runProbe(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, es }, marker });
}

async function esRequest(method: string, path: string, body?: string, type = 'application/json') {
  const res = await fetch(`${esUrl}${path}`, { method, body, headers: { 'content-type': type } });
  return { status: res.status, json: (await res.json()) as { errors?: boolean } };
}

beforeAll(async () => {
  const up = await fetch(`${esUrl}/_cluster/health`).catch(() => undefined);
  if (!up?.ok) throw new Error(`Elasticsearch does not answer at ${esUrl}; start it with tests/services/elasticsearch/start.sh.`);
});

afterAll(async () => {
  await fetch(`${esUrl}/${index}`, { method: 'DELETE' }).catch(() => {});
});

describe('elasticsearch probe against a real Elasticsearch node', () => {
  it('passes on cluster health green or yellow', async () => {
    const r = await check({ health: ['green', 'yellow'] });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^Elasticsearch is up with cluster status (green|yellow)\.$/);
  });

  it('fails on a health status the step does not accept, and says which it saw', async () => {
    const r = await check({ health: ['red'] });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/reports cluster status (green|yellow), and this step needs red\.$/);
  });

  it('fails with a clear message when no index matches, for a pattern and for a name', async () => {
    const pattern = await check({ index: `logstash-none-${suffix}-*` });
    expect(pattern.ok).toBe(false);
    expect(pattern.message).toBe(`Elasticsearch has no index matching logstash-none-${suffix}-*.`);
    expect(pattern.hint).toContain('fluentd creates the logstash-YYYY.MM.DD index');
    const name = await check({ index: `missing-${suffix}` });
    expect(name.ok).toBe(false);
    expect(name.message).toBe(`Elasticsearch has no index matching missing-${suffix}.`);
    expect(name.evidence.map((e) => e.text).join('\n')).toContain('index_not_found_exception');
  });

  it('counts the documents that carry the attempt marker: 0 before _bulk, all of them after', async () => {
    const marker = `ds-logging-send-${suffix}`;
    const spec = { index: 'logstash-test-*', query: '"{{marker}}"', atLeast: 2 };
    await esRequest('PUT', `/${index}`);
    const before = await check(spec, marker);
    expect(before.ok).toBe(false);
    expect(before.message).toBe(`Elasticsearch found 0 documents in logstash-test-* matching "${marker}", and at least 2 are expected.`);

    const lines = [{ message: `first ${marker}`, marker }, { message: 'unrelated record' }, { message: 'second', marker }].flatMap(
      (doc) => [JSON.stringify({ index: { _index: index } }), JSON.stringify(doc)],
    );
    const bulk = await esRequest('POST', '/_bulk?refresh=true', `${lines.join('\n')}\n`, 'application/x-ndjson');
    expect(bulk.json.errors).toBe(false);

    const after = await check(spec, marker);
    expect(after.ok).toBe(true);
    expect(after.message).toBe(`The index ${index} exists. Elasticsearch found 2 documents matching "${marker}".`);
  });

  it('counts across every index when no index is given', async () => {
    const r = await check({ query: `"ds-logging-send-${suffix}"` });
    expect(r.ok).toBe(true);
    expect(r.message).toBe(`Elasticsearch found 2 documents matching "ds-logging-send-${suffix}".`);
  });

  it('reads the major version from the banner of the real node', async () => {
    const r = await check({ major: 8 });
    expect(r.ok).toBe(true);
    expect(r.message).toBe('The server is Elasticsearch 8.19.21.');
  });

  it('answers GET / as the 8.x clients require: the banner and the product header', async () => {
    const res = await fetch(`${esUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const banner = (await res.json()) as { version: { number: string; lucene_version: string }; tagline: string; cluster_uuid: string };
    expect(banner.version.number).toBe('8.19.21');
    expect(banner.version.lucene_version).toBe('9.12.2');
    expect(banner.tagline).toBe('You Know, for Search');
    expect(banner.cluster_uuid).toMatch(/^[\w-]{22}$/);
    const head = await fetch(`${esUrl}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-elastic-product')).toBe('Elasticsearch');
  });

  it('fails at once with "not running" when the port is closed', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await check({ health: ['green'] }, undefined, url);
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`Elasticsearch is not running at ${url}: the connection was refused.`);
    expect(r.hint).toBe('Start it with `docker compose up -d elasticsearch`, then check again.');
  });
});

describe('elasticsearch probe: the version banner of Elasticsearch 9 (fake: 9.x needs Java 21, not installed here)', () => {
  let es9: EsBannerFake;
  beforeAll(async () => {
    es9 = await startEsBanner('9.1.3');
  });
  afterAll(async () => {
    await es9.close();
  });

  it('fails on ES 9 where fluentd is pinned for 8, naming both versions and the gem pin', async () => {
    const r = await check({ major: 8 }, undefined, es9.url);
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`The server at ${es9.url} is Elasticsearch 9.1.3, and this step expects major version 8.`);
    expect(r.hint).toContain('plugin 6.x with gem 9.x for 9');
    expect(r.evidence).toContainEqual({ label: 'Server version', text: 'Elasticsearch 9.1.3' });
  });
});
