import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FluentdFake, startFluentdFake } from '../../fakes/fluentd.ts';
import type { ReceivedEvent } from '../../fakes/fluentd-forward.ts';
import { hasVenv, testEnv, venvBin } from '../../helpers/env.ts';

/**
 * The workspace's two fluentd examples, run with the test virtualenv's fluent-logger against
 * the fluentd fake (fluentd cannot run here; tests/fakes/fluentd.ts), which writes into the real
 * Elasticsearch node as fluentd's elasticsearch output would. The records are then found the way the
 * tutorial's check finds them: a count of logstash-* documents matching the attempt's marker.
 */

const execFileAsync = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../../workspace');
const ES = testEnv.elasticsearchUrl.replace(/\/+$/, '');

let fake: FluentdFake;
const markers: string[] = [];

/** A marker shaped like server/tutorial/marker.ts makes them. */
function newMarker(step: string): string {
  const marker = `ds-fluentd-${step}-${randomBytes(4).toString('hex')}`;
  markers.push(marker);
  return marker;
}

async function runScript(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync(venvBin('python'), [script], { cwd: WORKSPACE, env: { ...process.env, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
}

/** The fake's events from one run, found by the run's marker. */
async function eventsWithMarker(marker: string, count: number): Promise<ReceivedEvent[]> {
  return fake.waitForEvents((e) => e.record.marker === marker, count);
}

/** As the tutorial's check: GET logstash-*\/_count?q=marker:"<marker>", polled until it reaches `expected`. */
async function countInElasticsearch(marker: string, expected: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = -1;
  while (Date.now() < deadline) {
    await fake.flush();
    const res = await fetch(`${ES}/logstash-*/_count?q=${encodeURIComponent(`marker:"${marker}"`)}`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (res.ok) {
      count = ((await res.json()) as { count: number }).count;
      if (count >= expected) return count;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return count;
}

beforeAll(async () => {
  if (!hasVenv())
    throw new Error(`The test virtualenv is missing at ${testEnv.venv} (set TUTORIAL_VENV; it needs fluent-logger and pyyaml).`);
  const ping = await fetch(`${ES}/`, { signal: AbortSignal.timeout(5_000) }).catch((err: Error) => err);
  if (ping instanceof Error || !ping.ok) {
    throw new Error(
      `Elasticsearch does not answer at ${ES} (start it with tests/services/elasticsearch/start.sh, or set TEST_ELASTICSEARCH_URL).`,
    );
  }
  fake = startFluentdFake({ esUrl: ES, flushIntervalMs: 300 });
  await fake.running;
});

afterAll(async () => {
  await fake?.close();
  // Leave the shared node as it was: remove this file's documents.
  for (const marker of markers) {
    await fetch(`${ES}/logstash-*/_delete_by_query?refresh=true&q=${encodeURIComponent(`marker:"${marker}"`)}`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
  }
});

describe('logging/fluentd_test.py (handler built in code)', () => {
  const marker = newMarker('handmade');
  let run: { code: number; stdout: string; stderr: string };
  let events: ReceivedEvent[];

  beforeAll(async () => {
    run = await runScript('logging/fluentd_test.py', {
      FLUENTD_HOST: fake.host,
      FLUENTD_FORWARD_PORT: String(fake.forwardPort),
      TUTORIAL_MARKER: marker,
    });
  });

  it('exits 0 and prints the marker', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`marker: ${marker}`);
  });

  it('sends three records tagged ds, each with hostname, where, type and the marker, and no stack_trace (none has an exception)', async () => {
    events = await eventsWithMarker(marker, 3);
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event.tag).toBe('ds');
      expect(event.mode).toBe('Message');
      expect(event.record).toMatchObject({ where: 'fluentd_test.main', marker });
      expect(event.record).not.toHaveProperty('stack_trace');
      expect(typeof event.record.hostname).toBe('string');
      expect((event.record.hostname as string).length).toBeGreaterThan(0);
    }
    expect(events.map((e) => e.record.type)).toEqual(['INFO', 'INFO', 'WARNING']);
  });

  it('merges a dict and a JSON string into fields, and keeps plain text in message', () => {
    const [fromDict, fromJson, fromText] = events;
    expect(fromDict!.record).toMatchObject({ event: 'training_started', model: 'random_forest', n_estimators: 100 });
    expect(fromJson!.record).toMatchObject({ event: 'epoch_finished', epoch: 1, accuracy: 0.87 });
    expect(fromJson!.record).not.toHaveProperty('message');
    expect(fromText!.record.message).toBe('Plain text message: the validation loss went up');
  });

  it('lands in logstash-YYYY.MM.DD with an @timestamp, found by the marker as the check searches', async () => {
    expect(await countInElasticsearch(marker, 3)).toBe(3);
    const res = await fetch(`${ES}/logstash-*/_search?size=10&q=${encodeURIComponent(`marker:"${marker}"`)}`);
    const hits = ((await res.json()) as { hits: { hits: { _index: string; _source: Record<string, unknown> }[] } }).hits.hits;
    expect(hits).toHaveLength(3);
    for (const hit of hits) {
      expect(hit._index).toMatch(/^logstash-\d{4}\.\d{2}\.\d{2}$/);
      expect(hit._source['@timestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}\+00:00$/);
      expect(hit._source.marker).toBe(marker);
    }
  });
});

describe('logging/fluentd_with_config.py (dictConfig from logging.yml)', () => {
  const marker = newMarker('yaml');
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    run = await runScript('logging/fluentd_with_config.py', {
      FLUENTD_HOST: fake.host,
      FLUENTD_FORWARD_PORT: String(fake.forwardPort),
      TUTORIAL_MARKER: marker,
    });
  });

  it('exits 0, logs to the console too, and prints the marker', () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Experiment started from a YAML logging configuration');
    expect(run.stdout).toContain(`marker: ${marker}`);
  });

  it('sends three records tagged ds with the configured fields, the exception with its stack trace', async () => {
    const events = await eventsWithMarker(marker, 3);
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event.tag).toBe('ds');
      expect(event.record.marker).toBe(marker);
      expect(typeof event.record.hostname).toBe('string');
    }
    const [started, params, failed] = events.map((e) => e.record);
    expect(started).not.toHaveProperty('stack_trace');
    expect(params).not.toHaveProperty('stack_trace');
    expect(started).toMatchObject({
      type: 'INFO',
      where: 'fluentd_with_config.main',
      message: 'Experiment started from a YAML logging configuration',
    });
    expect(params).toMatchObject({
      type: 'INFO',
      where: 'fluentd_with_config.main',
      event: 'parameters',
      learning_rate: 0.01,
      batch_size: 32,
    });
    expect(failed).toMatchObject({ type: 'ERROR', where: 'fluentd_with_config.evaluate' });
    // The traceback once, in stack_trace; message is the message alone.
    expect(failed!.message).toBe('Evaluation failed: metric missing');
    expect(failed!.stack_trace).toMatch(/^Traceback \(most recent call last\):/);
    expect(failed!.stack_trace).toContain("KeyError: 'f1'");
  });

  it('is found in Elasticsearch by the marker', async () => {
    expect(await countInElasticsearch(marker, 3)).toBe(3);
  });
});

describe('the scripts without a marker or without fluentd', () => {
  it('adds no marker field when TUTORIAL_MARKER is not set', async () => {
    const before = fake.received.length;
    const env: Record<string, string> = { FLUENTD_HOST: fake.host, FLUENTD_FORWARD_PORT: String(fake.forwardPort), TUTORIAL_MARKER: '' };
    const run = await runScript('logging/fluentd_test.py', env);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('marker:');
    // The script has exited, so its three records were sent; wait until the fake has read them.
    const deadline = Date.now() + 10_000;
    while (fake.received.length < before + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const fresh = fake.received.slice(before);
    expect(fresh).toHaveLength(3);
    for (const event of fresh) expect(event.record).not.toHaveProperty('marker');
  });

  it('exits 1 with a message naming the address and the next command when nothing listens', async () => {
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    for (const script of ['logging/fluentd_test.py', 'logging/fluentd_with_config.py']) {
      const run = await runScript(script, {
        FLUENTD_HOST: '127.0.0.1',
        FLUENTD_FORWARD_PORT: String(port),
        TUTORIAL_MARKER: newMarker('down'),
      });
      expect(run.code, script).toBe(1);
      expect(run.stderr, script).toContain(`Could not send the log records to fluentd at 127.0.0.1:${port}`);
      expect(run.stderr, script).toContain('docker compose -f compose/docker-compose.yml ps fluentd');
    }
  });
});
