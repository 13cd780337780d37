import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fluentdProbe } from '../../../protocol/probes/fluentd.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import {
  FLUENTD_CAPTURES,
  FLUENTD_STATES,
  type FluentdFakeState,
  type FluentdMonitorFake,
  fluentdCapture,
  startFluentdMonitor,
} from '../../fakes/fluentd-monitor.ts';
import { testEnv } from '../../helpers/env.ts';
import { freePort } from '../../helpers/net.ts';

/**
 * The fluentd probe against monitor_agent answers recorded from a real fluentd 1.19.3
 * (tests/fixtures/fluentd-1.19.3/), served by the fake: started, delivered, Elasticsearch down,
 * Elasticsearch back; Elasticsearch itself is the real node (or a closed port for "down").
 */
let fake: FluentdMonitorFake;
const es = testEnv.elasticsearchUrl.replace(/\/+$/, '');

function check(state: FluentdFakeState, spec: Record<string, unknown> = {}, esUrl = es) {
  fake.setState(state);
  const probe = fluentdProbe.parse({ kind: 'fluentd', ...spec });
  return runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, fluentd_monitor: fake.url, es: esUrl } });
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
    // The whole answers, headers and all, as recorded.
    const raw = async (path: string) => {
      const { connect } = await import('node:net');
      const socket = connect(Number(new URL(fake.url).port), '127.0.0.1');
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return new Promise<string>((resolve) =>
        socket.once('data', (d) => {
          resolve(d.toString('utf8'));
          socket.end();
        }),
      );
    };
    fake.setState('started');
    const headers = readFileSync(join(FLUENTD_CAPTURES, '1-started.headers.txt'), 'utf8');
    expect(await raw('/api/plugins.json')).toBe(`${headers}${fluentdCapture('started')}`);
    expect(await raw('/nope')).toBe(readFileSync(join(FLUENTD_CAPTURES, '404-not-found.http'), 'utf8'));
    const config = await raw('/api/config.json');
    expect(config).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: application\/json\r\ncontent-length: \d+\r\n\r\n\{"pid":/);
  });
});

describe('fluentd probe on the recorded states of fluentd 1.19.3', () => {
  const chapter = { id: 'out_elasticsearch' };

  it('started: green only because Elasticsearch answers too; nothing received yet', async () => {
    const r = await check('started', chapter);
    expect(r.ok).toBe(true);
    expect(r.message).toBe(
      `fluentd can write to Elasticsearch now: its output plugin with @id out_elasticsearch has no failed write pending (retry is empty; 0 buffer chunks queued, 0 records received) and Elasticsearch answers at ${es}.`,
    );
    const waiting = await check('started', { ...chapter, minEmitRecords: 1 });
    expect(waiting.ok).toBe(false);
    expect(waiting.message).toBe("fluentd's output plugin with @id out_elasticsearch has received 0 records, and at least 1 is expected.");
  });

  it('started or delivered while Elasticsearch is down: retry is {} and yet fluentd cannot write (the false green of issue 23)', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    for (const state of ['started', 'delivered', 'es-back'] as const) {
      const r = await check(state, chapter, down);
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(
        new RegExp(
          `^fluentd cannot reach Elasticsearch: Elasticsearch does not answer at ${down} \\(.*\\), so fluentd's next write will fail\\. Its output plugin with @id out_elasticsearch shows no failed write yet \\(retry is empty\\) and holds nothing to write yet\\.$`,
        ),
      );
      expect(r.hint).toBe(
        'Start Elasticsearch with `docker compose -f compose/docker-compose.yml up -d --wait elasticsearch`; fluentd keeps what it receives meanwhile and writes it once Elasticsearch answers.',
      );
    }
  });

  it('delivered: 3 records received and written', async () => {
    const r = await check('delivered', { ...chapter, minEmitRecords: 1, maxBufferQueueLength: 0 });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^fluentd can write to Elasticsearch now: .*3 records received\) and Elasticsearch answers at /);
    expect(r.evidence).toContainEqual({
      label: 'fluentd output plugin with @id out_elasticsearch',
      text: 'retry {}, buffer_queue_length 0, buffer_stage_length 0, emit_records 3, write_count 1, retry_count 0 (errors since fluentd started)',
    });
  });

  it('es-down: red with the cause and the command, whatever Elasticsearch answers now', async () => {
    const r = await check('es-down', chapter);
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      'fluentd cannot reach Elasticsearch: its output plugin with @id out_elasticsearch has been retrying a failed write since 2026-12-06 23:07:31 +0000, 5 retries so far, the next at 2026-12-06 23:08:30 +0000, with 1 buffer chunk waiting.',
    );
    expect(r.hint).toContain('`docker compose -f compose/docker-compose.yml up -d --wait elasticsearch`');
    expect(r.diagnosis).toBeUndefined();
    const byType = await check('es-down', { maxBufferQueueLength: 5 });
    expect(byType.ok).toBe(false);
    expect(byType.message).toMatch(/^fluentd cannot reach Elasticsearch: its elasticsearch output plugin has been retrying/);
  });

  it('es-back: green again although retry_count stays at 6', async () => {
    const r = await check('es-back', { ...chapter, minEmitRecords: 1, maxBufferQueueLength: 0 });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/ Its retry_count of 6 counts earlier failed writes since fluentd started; it never goes back to 0\.$/);
  });

  it('monitor_agent closed and Elasticsearch down: the crash loop at start, named as such', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = `http://127.0.0.1:${await freePort()}`;
    const probe = fluentdProbe.parse({ kind: 'fluentd', ...chapter });
    const r = await runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, fluentd_monitor: closed, es: down } });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(
      /^fluentd cannot reach Elasticsearch: its monitor_agent at .* does not answer, and Elasticsearch does not answer at /,
    );
    expect(r.hint).toMatch(/^Start Elasticsearch with `docker compose -f compose\/docker-compose\.yml up -d --wait elasticsearch`/);
    // With Elasticsearch up, a closed monitor is fluentd not running.
    const up = await runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, fluentd_monitor: closed, es } });
    expect(up.message).toBe(`Fluentd's monitor_agent is not running at ${closed}: the connection was refused.`);
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
