import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Step } from '../../protocol/content.ts';
import { fluentdProbe } from '../../protocol/probes/fluentd.ts';
import { diagnose } from '../../server/checks/diagnosis.ts';
import { runCheck } from '../../server/checks/engine.ts';
import { CONTENT_DIR } from '../../server/paths.ts';
import { DEFAULT_ENDPOINTS } from '../../server/stack/endpoints.ts';
import { loadChapters } from '../../server/tutorial/content.ts';
import { hasVenv, testEnv, venvBin } from './env.ts';
import { freePort, pollUntil } from './net.ts';

/**
 * The fluentd chapter's verdicts in every way fluentd cannot reach Elasticsearch, against the
 * real Elasticsearch node and a fluentd given by the caller: the fake (tests/fakes/fluentd.ts,
 * as fluentd 1.19.3 was recorded; integration/search) or a real fluentd (the opt-in fluentd-real
 * tier). "Elasticsearch down" is a TCP relay to the real node that the test closes: fluentd and
 * the checks both talk to the relay, as in the stack fluentd and the tutorial reach the same
 * container.
 */

/** A fluentd under test, started with compose/fluentd/fluent.conf's settings. */
export interface FluentdUnderTest {
  /** Its log lines so far, as fluentd prints them. */
  logs: string[];
  /** Resolves once its worker runs (forward input and monitor_agent listen). */
  running: Promise<void>;
  close(): Promise<void>;
}
export type StartFluentd = (o: { esUrl: string; forwardPort: number; monitorPort: number }) => FluentdUnderTest;

const execFileAsync = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../workspace');
const ES = new URL(testEnv.elasticsearchUrl);

/** A relay 127.0.0.1:<port> -> Elasticsearch that can be cut and restored. */
class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(ES.port || 9200), ES.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => (s === client ? upstream : client).destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((ok) => this.server!.listen(this.port, '127.0.0.1', ok));
  }
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((ok) => {
      server.close(() => ok());
      for (const s of this.sockets) s.destroy();
    });
  }
}

let relay: Relay;
let fake: FluentdUnderTest | undefined;
let forwardPort = 0;
let monitorUrl = '';
const markers: string[] = [];

function check(spec: Record<string, unknown> = { id: 'out_elasticsearch' }, monitor = monitorUrl) {
  const probe = fluentdProbe.parse({ kind: 'fluentd', ...spec });
  return runCheck(probe, { workspace: '/tmp', endpoints: { ...DEFAULT_ENDPOINTS, fluentd_monitor: monitor, es: relay.url } });
}

async function sendRecords(port: number): Promise<string> {
  const marker = `ds-fluentd-outage-${randomBytes(4).toString('hex')}`;
  markers.push(marker);
  await execFileAsync(venvBin('python'), ['logging/fluentd_test.py'], {
    cwd: WORKSPACE,
    env: { ...process.env, FLUENTD_HOST: '127.0.0.1', FLUENTD_FORWARD_PORT: String(port), TUTORIAL_MARKER: marker },
    timeout: 60_000,
  });
  return marker;
}

async function count(marker: string): Promise<number> {
  const res = await fetch(`${testEnv.elasticsearchUrl}/logstash-*/_count?q=${encodeURIComponent(`marker:"${marker}"`)}`);
  return res.ok ? ((await res.json()) as { count: number }).count : -1;
}

const plugin = async () =>
  ((await (await fetch(`${monitorUrl}/api/plugins.json`)).json()) as { plugins: Record<string, unknown>[] }).plugins[2]!;

/** The chapter's own check of a step (content/docs/chapters/fluentd.mdx). */
function chapterCheck(step: string, marker?: string) {
  const chapter = loadChapters(CONTENT_DIR).find((c) => c.id.endsWith('fluentd'))!;
  const s = chapter.steps.find((x: Step) => x.id === step)!;
  return runCheck(s.check, {
    workspace: WORKSPACE,
    marker,
    endpoints: { ...DEFAULT_ENDPOINTS, fluentd: { host: '127.0.0.1', port: forwardPort }, fluentd_monitor: monitorUrl, es: relay.url },
  });
}

async function startFluentd(start: StartFluentd): Promise<FluentdUnderTest> {
  forwardPort = await freePort();
  const monitorPort = await freePort();
  monitorUrl = `http://127.0.0.1:${monitorPort}`;
  fake = start({ esUrl: relay.url, forwardPort, monitorPort });
  return fake;
}

/** The suite; `start` starts the fluentd under test, `patience` scales its waits (real fluentd retries slower). */
export function fluentdOutageSuite(start: StartFluentd, patience = 1): void {
  beforeAll(async () => {
    if (!hasVenv()) throw new Error(`The test virtualenv is missing at ${testEnv.venv} (set TUTORIAL_VENV; it needs fluent-logger).`);
    const up = await fetch(`${testEnv.elasticsearchUrl}/`).catch(() => undefined);
    if (!up?.ok)
      throw new Error(`Elasticsearch does not answer at ${testEnv.elasticsearchUrl}; start it with tests/services/elasticsearch/start.sh.`);
    relay = new Relay(await freePort());
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await relay.down();
  });
  afterAll(async () => {
    for (const marker of markers) {
      await fetch(`${testEnv.elasticsearchUrl}/logstash-*/_delete_by_query?refresh=true&q=${encodeURIComponent(`marker:"${marker}"`)}`, {
        method: 'POST',
      }).catch(() => undefined);
    }
  });

  describe('fluentd running, then Elasticsearch goes away', () => {
    it('idle: retry stays {} and the check is red anyway; records sent then are staged, retried, and delivered once it is back', async () => {
      await relay.up();
      fake = await startFluentd(start);
      await fake.running;
      expect((await check()).ok).toBe(true);
      expect((await chapterCheck('fluentd-ready')).ok).toBe(true);

      await relay.down();
      // Nothing pending: fluentd has nothing to notice; monitor_agent still shows retry {}.
      expect(await plugin()).toMatchObject({ retry: {}, buffer_queue_length: 0, buffer_stage_length: 0 });
      const idle = await check();
      expect(idle.ok).toBe(false);
      expect(idle.message).toMatch(/^fluentd cannot reach Elasticsearch: Elasticsearch does not answer at /);

      const marker = await sendRecords(forwardPort);
      // The failed write: retry fills in, the chunk stays queued, the log says so as recorded.
      const retrying = await pollUntil(
        async () => {
          const p = await plugin();
          return Object.keys(p.retry as object).length > 0 && p;
        },
        'a retry in progress',
        20_000 * patience,
      );
      expect(retrying).toMatchObject({ buffer_queue_length: 1, emit_records: 3 });
      const red = await check();
      expect(red.ok).toBe(false);
      expect(red.message).toMatch(
        /^fluentd cannot reach Elasticsearch: its output plugin with @id out_elasticsearch has been retrying a failed write since /,
      );
      expect(red.hint).toContain('docker compose -f compose/docker-compose.yml up -d --wait elasticsearch');
      const logs = fake.logs.join('\n');
      expect(logs).toMatch(
        /\[warn\]: #0 \[out_elasticsearch\] failed to flush the buffer\. retry_times=0 next_retry_time=\S+ \S+ \+0000 chunk="[0-9a-f]{32}" error_class=Fluent::Plugin::ElasticsearchOutput::RecoverableRequestFailure error="could not push logs to Elasticsearch cluster \(\{:host=>\\"127\.0\.0\.1\\", :port=>\d+, :scheme=>\\"http\\"\}\): Connection refused - connect\(2\) for 127\.0\.0\.1:\d+ \(Errno::ECONNREFUSED\)"/,
      );
      expect(diagnose([{ label: 'Container logs (last 50 lines)', text: logs }])?.id).toBe('fluentd-es-unreachable');
      const ready = await chapterCheck('fluentd-ready');
      expect(ready.ok).toBe(false);
      expect(ready.message).toMatch(/^fluentd cannot reach Elasticsearch: /);
      expect((await chapterCheck('send-by-hand', marker)).ok).toBe(false);

      await relay.up();
      await pollUntil(async () => (await count(marker)) === 3, 'the 3 records in Elasticsearch after it came back', 40_000 * patience);
      expect((await chapterCheck('send-by-hand', marker)).ok).toBe(true);
      expect(fake.logs.join('\n')).toMatch(/\[warn\]: #0 \[out_elasticsearch\] retry succeeded\. chunk_id="[0-9a-f]{32}"/);
      const green = await check();
      expect(green.ok).toBe(true);
      expect(green.message).toMatch(/Its retry_count of \d+ counts earlier failed writes since fluentd started/);
    });
  });

  describe('fluentd started while Elasticsearch cannot be reached', () => {
    it('crash-loops with no forward port and no monitor, the check names the cause, and it recovers by itself', async () => {
      fake = await startFluentd(start);
      await pollUntil(
        () => fake!.logs.filter((l) => l.includes('Worker 0 exited unexpectedly')).length >= 2,
        'two worker restarts',
        20_000 * patience,
      );
      // Nothing listens: the forward port refuses as the monitor does.
      const refused = await new Promise<string>((ok) => {
        const s = connect(forwardPort, '127.0.0.1');
        s.once('connect', () => {
          ok('connected');
          s.destroy();
        });
        s.once('error', (e: NodeJS.ErrnoException) => ok(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      const r = await check();
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(
        /^fluentd cannot reach Elasticsearch: its monitor_agent at http:\/\/127\.0\.0\.1:\d+ does not answer, and Elasticsearch does not answer at /,
      );
      expect(r.hint).toMatch(/^Start Elasticsearch with `docker compose -f compose\/docker-compose\.yml up -d --wait elasticsearch`/);
      const logs = fake.logs.join('\n');
      expect(logs).toMatch(
        /\[error\]: #0 unexpected error error_class=Elastic::Transport::Transport::Error error="Connection refused - connect\(2\) for 127\.0\.0\.1:\d+ \(Errno::ECONNREFUSED\)"/,
      );
      const d = diagnose([{ label: 'Container logs (last 50 lines)', text: logs }]);
      expect(d?.id).toBe('fluentd-es-unreachable');
      expect(d?.cause).toMatch(/worker exits and is started again every few seconds/);
      const ready = await chapterCheck('fluentd-ready');
      expect(ready.message).toMatch(/^fluentd cannot reach Elasticsearch: its monitor_agent/);

      await relay.up();
      await fake.running;
      expect(fake.logs.join('\n')).toMatch(/\[info\]: #0 fluentd worker is now running worker=0$/m);
      await pollUntil(async () => (await check()).ok, 'a green check once the worker runs', 20_000 * patience);
      expect((await chapterCheck('fluentd-ready')).ok).toBe(true);
    });
  });
}
