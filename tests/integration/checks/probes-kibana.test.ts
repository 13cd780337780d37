import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kibanaProbe } from '../../../protocol/probes/kibana.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { type KibanaFake, startKibana } from '../../fakes/kibana.ts';

let fake: KibanaFake;

function check(spec: Record<string, unknown>) {
  const probe = kibanaProbe.parse({ kind: 'kibana', ...spec });
  return runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, kibana: fake.url } });
}

beforeAll(async () => {
  fake = await startKibana();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.setState('available');
  fake.dataViews.length = 0;
});

describe('kibana fake', () => {
  it('requires kbn-xsrf to create a data view, then lists it', async () => {
    const body = JSON.stringify({ data_view: { title: 'logstash-*', timeFieldName: '@timestamp' } });
    const denied = await fetch(`${fake.url}/api/data_views/data_view`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(denied.status).toBe(400);
    expect(await denied.json()).toMatchObject({ message: 'Request must contain a kbn-xsrf header.' });
    const created = await fetch(`${fake.url}/api/data_views/data_view`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'kbn-xsrf': 'true' },
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ data_view: { title: 'logstash-*', timeFieldName: '@timestamp' } });
    const list = (await (await fetch(`${fake.url}/api/data_views`)).json()) as { data_view: { title: string }[] };
    expect(list.data_view.map((d) => d.title)).toEqual(['logstash-*']);
  });
});

describe('kibana probe against the fake', () => {
  it('passes when the overall level is available', async () => {
    const r = await check({ status: ['available'] });
    expect(r.ok).toBe(true);
    expect(r.message).toBe('Kibana is available.');
  });

  it('fails on degraded and on unavailable (503 with a report), naming the level and the summary', async () => {
    fake.setState('degraded');
    const degraded = await check({ status: ['available'] });
    expect(degraded.ok).toBe(false);
    expect(degraded.message).toBe(
      "Kibana's overall status is degraded (1 service is degraded: elasticsearch), and this step needs available.",
    );
    fake.setState('unavailable');
    const unavailable = await check({ status: ['available'] });
    expect(unavailable.ok).toBe(false);
    expect(unavailable.message).toBe(
      "Kibana's overall status is unavailable (1 service is unavailable: elasticsearch), and this step needs available.",
    );
  });

  it('says "not ready yet" for the 503 Kibana sends before it reaches Elasticsearch, with the diagnosis', async () => {
    fake.setState('not-ready');
    const r = await check({ status: ['available'] });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`Kibana at ${fake.url} is running but not ready yet: it answers "Kibana server is not ready yet".`);
    expect(r.diagnosis?.id).toBe('kibana-not-ready');
    expect(r.evidence).toContainEqual({ label: 'HTTP status', text: '503 from /api/status' });
  });

  it('fails before the data view exists and passes after it is created', async () => {
    const before = await check({ dataView: 'logstash-*' });
    expect(before.ok).toBe(false);
    expect(before.message).toBe('Kibana has no data views yet, and this step needs one for logstash-*.');
    expect(before.hint).toContain("-H 'kbn-xsrf: true'");
    await fetch(`${fake.url}/api/data_views/data_view`, {
      method: 'POST',
      body: JSON.stringify({ data_view: { title: 'other-*' } }),
      headers: { 'content-type': 'application/json', 'kbn-xsrf': 'true' },
    });
    const other = await check({ dataView: 'logstash-*' });
    expect(other.message).toBe('Kibana has no data view for logstash-* (it has other-*).');
    await fetch(`${fake.url}/api/data_views/data_view`, {
      method: 'POST',
      body: JSON.stringify({ data_view: { title: 'logstash-*', timeFieldName: '@timestamp' } }),
      headers: { 'content-type': 'application/json', 'kbn-xsrf': 'true' },
    });
    const after = await check({ status: ['available'], dataView: 'logstash-*' });
    expect(after.ok).toBe(true);
    expect(after.message).toBe('Kibana is available. Kibana has a data view for logstash-*.');
  });
});
