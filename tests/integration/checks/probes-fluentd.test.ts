import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fluentdProbe } from '../../../protocol/probes/fluentd.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { type FluentdMonitorFake, startFluentdMonitor } from '../../fakes/fluentd-monitor.ts';

let fake: FluentdMonitorFake;

function check(spec: Record<string, unknown>) {
  const probe = fluentdProbe.parse({ kind: 'fluentd', ...spec });
  return runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, fluentd_monitor: fake.url } });
}

beforeAll(async () => {
  fake = await startFluentdMonitor();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.setState('delivering');
  fake.setEmitRecords(0);
});

describe('fluentd probe against the monitor_agent fake', () => {
  it('finds the elasticsearch output by type and by @id while it delivers', async () => {
    fake.setEmitRecords(3);
    const byType = await check({});
    expect(byType.ok).toBe(true);
    expect(byType.message).toBe(
      "fluentd's elasticsearch output plugin is loaded and delivering (retry_count 0, buffer_queue_length 0, emit_records 3).",
    );
    const byId = await check({ id: 'out_es', maxBufferQueueLength: 0, minEmitRecords: 1 });
    expect(byId.ok).toBe(true);
  });

  it('fails with the retry count while fluentd cannot reach Elasticsearch', async () => {
    fake.setState('retrying');
    const r = await check({ type: 'elasticsearch' });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      "fluentd's elasticsearch output plugin has retried 7 times to deliver records, so it cannot reach Elasticsearch.",
    );
    expect(r.evidence).toContainEqual({
      label: 'fluentd elasticsearch output plugin',
      text: 'retry_count 7, buffer_queue_length 4, emit_records 0',
    });
  });

  it('fails on a growing queue when retries are tolerated but the queue is not', async () => {
    fake.setState('retrying');
    const r = await check({ maxRetryCount: 10, maxBufferQueueLength: 0 });
    expect(r.ok).toBe(false);
    expect(r.message).toBe("fluentd's elasticsearch output plugin holds 4 buffer chunks that it has not delivered (at most 0 expected).");
  });

  it('fails when no elasticsearch output is configured, listing the plugins it found', async () => {
    fake.setState('no-output');
    const r = await check({});
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`fluentd at ${fake.url} runs, but has no elasticsearch output plugin.`);
    expect(r.evidence[0]?.text).toContain('output stdout (@id out_stdout)');
    const byId = await check({ id: 'out_es' });
    expect(byId.message).toBe(`fluentd at ${fake.url} runs, but has no output plugin with @id out_es.`);
  });

  it('fails until records have arrived', async () => {
    const before = await check({ minEmitRecords: 1 });
    expect(before.ok).toBe(false);
    expect(before.message).toBe("fluentd's elasticsearch output plugin has received 0 records, and at least 1 is expected.");
    fake.setEmitRecords(2);
    expect((await check({ minEmitRecords: 1 })).ok).toBe(true);
  });
});
