import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fluentdProbe } from '../../../protocol/probes/fluentd.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import {
  FLUENTD_STATES,
  type FluentdFakeState,
  type FluentdMonitorFake,
  fluentdCapture,
  startFluentdMonitor,
} from '../../fakes/fluentd-monitor.ts';

/**
 * The fluentd probe against monitor_agent answers recorded from a real fluentd 1.18
 * (tests/fixtures/fluentd-1.18/), served by the fake: started, delivered, Elasticsearch down,
 * Elasticsearch back.
 */
let fake: FluentdMonitorFake;

function check(state: FluentdFakeState, spec: Record<string, unknown> = {}) {
  fake.setState(state);
  const probe = fluentdProbe.parse({ kind: 'fluentd', ...spec });
  return runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, fluentd_monitor: fake.url } });
}

beforeAll(async () => {
  fake = await startFluentdMonitor();
});
afterAll(() => fake.close());

describe('the fluentd monitor_agent fake', () => {
  it('answers each state with the recorded body, byte for byte', async () => {
    for (const state of FLUENTD_STATES) {
      fake.setState(state);
      const res = await fetch(`${fake.url}/api/plugins.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe(fluentdCapture(state));
    }
    expect((await fetch(`${fake.url}/api/config.json`)).status).toBe(404);
  });
});

describe('fluentd probe on the recorded states of fluentd 1.18', () => {
  const chapter = { id: 'out_elasticsearch' };

  it('started: loaded and not retrying, nothing received yet', async () => {
    const r = await check('started', chapter);
    expect(r.ok).toBe(true);
    expect(r.message).toBe(
      "fluentd's output plugin with @id out_elasticsearch is loaded and delivering (no retry in progress, 0 buffer chunks queued, 0 records received).",
    );
    const waiting = await check('started', { ...chapter, minEmitRecords: 1 });
    expect(waiting.ok).toBe(false);
    expect(waiting.message).toBe("fluentd's output plugin with @id out_elasticsearch has received 0 records, and at least 1 is expected.");
  });

  it('delivered: 3 records received and written', async () => {
    const r = await check('delivered', { ...chapter, minEmitRecords: 1, maxBufferQueueLength: 0 });
    expect(r.ok).toBe(true);
    expect(r.message).toBe(
      "fluentd's output plugin with @id out_elasticsearch is loaded and delivering (no retry in progress, 0 buffer chunks queued, 3 records received).",
    );
    expect(r.evidence).toContainEqual({
      label: 'fluentd output plugin with @id out_elasticsearch',
      text: 'retry {}, buffer_queue_length 0, emit_records 3, write_count 1, retry_count 0 (errors since fluentd started)',
    });
  });

  it('es-down: retrying, with the retry in progress and the waiting chunk in the message', async () => {
    const r = await check('es-down', chapter);
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      "fluentd's output plugin with @id out_elasticsearch cannot write to Elasticsearch: it has been retrying since 2026-12-01 09:25:18 +0000, 3 retries so far, the next at 2026-12-01 09:25:33 +0000, with 1 buffer chunk waiting.",
    );
    expect(r.hint).toMatch(/^Read `docker compose logs fluentd` for the reason/);
    // Found by type as well, and whatever the queue limit: a retry in progress is never delivering.
    const byType = await check('es-down', { maxBufferQueueLength: 5 });
    expect(byType.ok).toBe(false);
    expect(byType.message).toMatch(/^fluentd's elasticsearch output plugin cannot write to Elasticsearch: it has been retrying since/);
  });

  it('es-back: delivering again although retry_count stays at 4', async () => {
    const r = await check('es-back', { ...chapter, minEmitRecords: 1, maxBufferQueueLength: 0 });
    expect(r.ok).toBe(true);
    expect(r.message).toBe(
      "fluentd's output plugin with @id out_elasticsearch is loaded and delivering (no retry in progress, 0 buffer chunks queued, 6 records received). Its retry_count of 4 counts earlier failed writes since fluentd started; it never goes back to 0.",
    );
  });

  it('fails when the output plugin it asks for is not there, listing the plugins it found', async () => {
    const r = await check('delivered', { id: 'out_es' });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`fluentd at ${fake.url} runs, but has no output plugin with @id out_es.`);
    expect(r.evidence[0]?.text).toBe(
      'input forward (@id in_forward)\ninput monitor_agent (@id in_monitor_agent)\noutput elasticsearch (@id out_elasticsearch)',
    );
    const byType = await check('delivered', { type: 'stdout' });
    expect(byType.message).toBe(`fluentd at ${fake.url} runs, but has no stdout output plugin.`);
  });
});
