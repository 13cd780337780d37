// A fake: fluentd cannot run here (no rubygems, no Docker image), so this is fluentd 1.19.3 with compose/fluentd/fluent.conf as recorded in tests/fixtures/fluentd-1.19.3: forward input, elasticsearch output (buffer, flush, retry), monitor_agent, its log lines, and the worker's crash loop while Elasticsearch cannot be reached at start.
import { randomBytes } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { encode } from '@msgpack/msgpack';
import { compileMatch, fluentExtensionCodec, handleConnection, isoTimestamp, type ReceivedEvent, utcDate } from './fluentd-forward.ts';
import { closeServer, listenOn, type MonitorAnswer, monitorHttpServer, NOT_FOUND_BODY } from './fluentd-monitor.ts';

/**
 * What it does, as the real fluentd did when recorded (tests/fixtures/fluentd-1.19.3/README.md):
 * - At start the worker asks Elasticsearch `GET /` (the output's configure). When that fails it
 *   logs the `Elastic::Transport::Transport::Error` block and "Worker 0 exited unexpectedly with
 *   status 1", listens on nothing, and tries again every `restartIntervalMs`, until it succeeds.
 * - Then it listens on the forward port and monitor_agent's port. Events whose tag matches
 *   `match` are staged; every `flushIntervalMs` the staged chunk is queued and written with one
 *   `POST /_bulk` to logstash-YYYY.MM.DD (UTC date of the event) with `@timestamp`, as
 *   fluent-plugin-elasticsearch writes with logstash_format and include_timestamp.
 * - A write that fails keeps its chunk queued and logs the recorded "failed to flush the
 *   buffer" block; retries wait `retryWaitMs` doubled per step, at most `retryMaxIntervalMs`;
 *   the first write that succeeds logs "retry succeeded" and empties `retry`.
 * - monitor_agent's `/api/plugins.json` has the 1.19.3 shape and key order, from these counters
 *   (write_count counts every attempt, as the real one does, failed ones too).
 */
export interface FluentdFakeOptions {
  /** Elasticsearch as the output's host/port/scheme name it, e.g. http://elasticsearch:9200. */
  esUrl: string;
  /** Where to listen (the stack's container: 0.0.0.0; tests: 127.0.0.1). */
  bind?: string;
  /** Forward input port; 0 picks a free one once the worker runs. */
  forwardPort?: number;
  /** monitor_agent port; 0 picks a free one once the worker runs. */
  monitorPort?: number;
  /** The `<match>` pattern (default `ds.**`). */
  match?: string;
  /** flush_interval (default 3000, as compose/fluentd/fluent.conf). */
  flushIntervalMs?: number;
  /** First retry wait (default 1000: fluentd's retry_wait 1s). */
  retryWaitMs?: number;
  /** retry_max_interval (default 30000). */
  retryMaxIntervalMs?: number;
  /** Pause between a crashed worker and the next (default 1500; the recordings saw 1.3 to 4 s). */
  restartIntervalMs?: number;
  /** Each log line as fluentd prints it (default: kept in `logs` only). */
  log?: (line: string) => void;
}

export interface FluentdFake {
  /** The forward port and monitor URL, once the worker runs (0 and '' before). */
  forwardPort: number;
  monitorUrl: string;
  host: string;
  /** Every log line so far. */
  logs: string[];
  /** Every event the forward input received, whatever its tag. */
  received: ReceivedEvent[];
  /** Records whose tag matched no `<match>`. */
  unmatched: number;
  /** Resolves once the worker runs (forward and monitor listen). */
  running: Promise<void>;
  /** Waits until at least `count` received events pass `test`; rejects after `timeoutMs` (default 10 s). */
  waitForEvents(test: (e: ReceivedEvent) => boolean, count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  /** Queues what is staged and writes the queue now, if no retry is waiting; resolves when done. */
  flush(): Promise<void>;
  /** The body of `/api/plugins.json` now. */
  pluginsJson(): string;
  /** Stops as fluentd does on SIGTERM (graceful stop lines), without writing what is left. */
  close(): Promise<void>;
}

interface Chunk {
  id: string;
  events: ReceivedEvent[];
  bytes: number;
}

const BACKTRACE_WRITE = [
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:1171:in `rescue in send_bulk'",
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:1133:in `send_bulk'",
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:909:in `block in write'",
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:908:in `each'",
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:908:in `write'",
  "fluentd/lib/fluent/plugin/output.rb:1256:in `try_flush'",
  "fluentd/lib/fluent/plugin/output.rb:1571:in `flush_thread_run'",
  "fluentd/lib/fluent/plugin/output.rb:515:in `block (2 levels) in start'",
  "fluentd/lib/fluent/plugin_helper/thread.rb:78:in `block in thread_create'",
];
const BACKTRACE_CONFIGURE = [
  "elastic-transport-ruby/lib/elastic/transport/transport/base.rb:328:in `rescue in perform_request'",
  "elastic-transport-ruby/lib/elastic/transport/transport/base.rb:285:in `perform_request'",
  "elasticsearch-ruby/elasticsearch/lib/elasticsearch.rb:86:in `verify_elasticsearch'",
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:498:in `detect_es_major_version'",
  "fluent-plugin-elasticsearch/lib/fluent/plugin/out_elasticsearch.rb:338:in `configure'",
  "fluentd/lib/fluent/agent.rb:132:in `add_match'",
  "fluentd/lib/fluent/supervisor.rb:774:in `run_worker'",
];
const SRC = '/usr/lib/fluentd-src/';

/** fluentd's log time: `2026-12-06 23:07:31 +0000` (UTC, as in the recordings). */
export function fluentTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}

/** Starts the fake; it keeps trying to start its worker until Elasticsearch answers `GET /`. */
export function startFluentdFake(options: FluentdFakeOptions): FluentdFake {
  const es = new URL(options.esUrl);
  const esHost = es.hostname;
  const esPort = Number(es.port || 9200);
  const bind = options.bind ?? '127.0.0.1';
  const flushMs = options.flushIntervalMs ?? 3000;
  const retryWait = options.retryWaitMs ?? 1000;
  const retryMax = options.retryMaxIntervalMs ?? 30_000;
  const matches = compileMatch(options.match ?? 'ds.**');
  const where = `{:host=>"${esHost}", :port=>${esPort}, :scheme=>"http"`;
  const c = { inEmit: 0, emitRecords: 0, emitCount: 0, write: 0, rollback: 0, retry: 0, flushTime: 0 };
  let stage: Chunk | undefined;
  const queue: Chunk[] = [];
  let retry: { start: Date; steps: number; next: Date } | undefined;
  let stopped = false;
  let writing: Promise<void> = Promise.resolve();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let forward: Server | undefined;
  let monitor: Server | undefined;

  const fake: FluentdFake = {
    forwardPort: 0,
    monitorUrl: '',
    host: bind === '0.0.0.0' ? '127.0.0.1' : bind,
    logs: [],
    received: [],
    unmatched: 0,
    running: Promise.resolve(),
    waitForEvents,
    flush: () => enqueueAndWrite(true),
    pluginsJson,
    close,
  };
  const raw = (line: string) => {
    fake.logs.push(line);
    options.log?.(line);
  };
  const log = (level: string, text: string, worker = true) => raw(`${fluentTime(new Date())} [${level}]: ${worker ? '#0 ' : ''}${text}`);
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };

  function pluginsJson(): string {
    const stageBytes = stage?.bytes ?? 0;
    const queueBytes = queue.reduce((n, ch) => n + ch.bytes, 0);
    const input = (id: string, type: string, records: number) =>
      `{"plugin_id":"${id}","plugin_category":"input","type":"${type}","output_plugin":false,"retry_count":null,"emit_records":${records},"emit_size":0}`;
    const r = retry ? `{"start":"${fluentTime(retry.start)}","steps":${retry.steps},"next_time":"${fluentTime(retry.next)}"}` : '{}';
    const output =
      `{"plugin_id":"out_elasticsearch","plugin_category":"output","type":"elasticsearch","output_plugin":true,` +
      `"buffer_queue_length":${queue.length},"buffer_timekeys":[],"buffer_total_queued_size":${stageBytes + queueBytes},` +
      `"retry_count":${c.retry},"emit_records":${c.emitRecords},"emit_size":0,"emit_count":${c.emitCount},"write_count":${c.write},` +
      `"write_secondary_count":0,"rollback_count":${c.rollback},"slow_flush_count":0,"flush_time_count":${c.flushTime},` +
      `"drop_oldest_chunk_count":0,"buffer_stage_length":${stage ? 1 : 0},"buffer_stage_byte_size":${stageBytes},` +
      `"buffer_queue_byte_size":${queueBytes},"buffer_available_buffer_space_ratios":100.0,"retry":${r}}`;
    return `{"plugins":[${input('in_forward', 'forward', c.inEmit)},${input('in_monitor_agent', 'monitor_agent', 0)},${output}]}`;
  }

  const accept = (events: ReceivedEvent[]) => {
    c.inEmit += events.length;
    for (const event of events) {
      fake.received.push(event);
      if (!matches(event.tag)) {
        fake.unmatched++;
        log('warn', `no patterns matched tag="${event.tag}"`);
        continue;
      }
      c.emitRecords++;
      stage ??= { id: randomBytes(16).toString('hex'), events: [], bytes: 0 };
      stage.events.push(event);
      stage.bytes += encode([event.time, event.record], { extensionCodec: fluentExtensionCodec }).length;
    }
    // One emit per request's event stream, as the output's emit_count counts them.
    if (events.some((e) => matches(e.tag))) c.emitCount++;
  };

  async function writeOne(chunk: Chunk): Promise<boolean> {
    const lines: string[] = [];
    for (const event of chunk.events) {
      const doc: Record<string, unknown> = { ...event.record };
      if (!('@timestamp' in doc)) doc['@timestamp'] = isoTimestamp(event.time);
      lines.push(JSON.stringify({ index: { _index: `logstash-${utcDate(event.time)}` } }), JSON.stringify(doc));
    }
    const started = performance.now();
    c.write++;
    try {
      const res = await fetch(`${options.esUrl.replace(/\/+$/, '')}/_bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${lines.join('\n')}\n`,
        // The plugin's request_timeout: 5 s.
        signal: AbortSignal.timeout(5_000),
      });
      await res.text();
      const took = (performance.now() - started) / 1000;
      log('info', `[out_elasticsearch] POST ${es.origin}/_bulk [status:${res.status}, request:${took.toFixed(3)}s, query:n/a]`);
      c.flushTime += Math.round(performance.now() - started);
      return true;
    } catch (err) {
      c.flushTime += Math.round(performance.now() - started);
      c.rollback++;
      c.retry++;
      const now = new Date();
      const steps = retry ? retry.steps + 1 : 0;
      const wait = Math.min(retryWait * 2 ** (steps + 1), retryMax);
      retry = { start: retry?.start ?? now, steps, next: new Date(now.getTime() + wait) };
      const why =
        (err as Error).name === 'TimeoutError'
          ? 'read timeout reached'
          : `Connection refused - connect(2) for ${esHost}:${esPort} (Errno::ECONNREFUSED)`;
      const faraday = (err as Error).name === 'TimeoutError' ? 'Faraday::TimeoutError' : 'Faraday::ConnectionFailed';
      log('error', `[out_elasticsearch] [${faraday}] ${why} ${where}, :protocol=>"http"}`);
      log(
        'warn',
        `[out_elasticsearch] failed to flush the buffer. retry_times=${steps} next_retry_time=${fluentTime(retry.next)} chunk="${chunk.id}" error_class=Fluent::Plugin::ElasticsearchOutput::RecoverableRequestFailure error="could not push logs to Elasticsearch cluster (${where.replace(/"/g, '\\"')}}): ${why}"`,
      );
      for (const frame of BACKTRACE_WRITE) raw(`  ${fluentTime(now)} [warn]: #0 ${SRC}${frame}`);
      later(wait, () => void enqueueAndWrite(false));
      return false;
    }
  }

  function enqueueAndWrite(force: boolean): Promise<void> {
    writing = writing.then(async () => {
      if (stage) {
        queue.push(stage);
        stage = undefined;
      }
      if (retry && !force && retry.next.getTime() > Date.now()) return;
      if (retry && force) return;
      while (queue.length > 0 && !stopped) {
        const wasRetrying = retry !== undefined;
        if (!(await writeOne(queue[0]!))) return;
        const done = queue.shift()!;
        if (wasRetrying) {
          retry = undefined;
          log('warn', `[out_elasticsearch] retry succeeded. chunk_id="${done.id}"`);
        }
      }
    });
    return writing;
  }

  async function startWorker(): Promise<void> {
    log('info', 'adding match pattern="ds.**" type="elasticsearch"');
    const banner = await fetch(`${es.origin}/`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.text().then(() => r.status),
      (e: Error) => e,
    );
    if (banner instanceof Error) {
      const why =
        banner.name === 'TimeoutError'
          ? 'read timeout reached'
          : `Connection refused - connect(2) for ${esHost}:${esPort} (Errno::ECONNREFUSED)`;
      log('error', `[out_elasticsearch] [Faraday::ConnectionFailed] ${why} ${where}, :protocol=>"http"}`);
      log('error', `unexpected error error_class=Elastic::Transport::Transport::Error error="${why}"`);
      const now = fluentTime(new Date());
      for (const frame of BACKTRACE_CONFIGURE) raw(`  ${now} [error]: #0 ${SRC}${frame}`);
      log('error', 'Worker 0 exited unexpectedly with status 1', false);
      await new Promise<void>((resolve) => later(options.restartIntervalMs ?? 1500, resolve));
      if (stopped) return;
      log('info', 'init worker0 logger path=nil rotate_age=nil rotate_size=nil');
      return startWorker();
    }
    log('info', `[out_elasticsearch] GET ${es.origin}/ [status:${banner}, request:0.020s, query:n/a]`);
    log('info', 'adding source type="forward"', false);
    log('info', 'adding source type="monitor_agent"', false);
    log('info', `starting fluentd worker pid=${process.pid} ppid=${process.ppid} worker=0`);
    forward = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      void handleConnection(socket, accept);
    });
    fake.forwardPort = await listenOn(forward, bind, options.forwardPort ?? 0);
    log('info', `[in_forward] listening port port=${fake.forwardPort} bind="${bind}"`);
    monitor = monitorHttpServer((_m, path): MonitorAnswer => {
      if (path === '/api/plugins.json') return { status: 200, body: pluginsJson() };
      if (path === '/api/config.json') return { status: 200, body: configJson() };
      return { status: 404, body: NOT_FOUND_BODY };
    });
    monitor.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    const monitorPort = await listenOn(monitor, bind, options.monitorPort ?? 0);
    fake.monitorUrl = `http://${fake.host}:${monitorPort}`;
    log('info', 'fluentd worker is now running worker=0');
    const tick = () =>
      later(flushMs, () => {
        void enqueueAndWrite(false);
        tick();
      });
    tick();
  }

  function configJson(): string {
    return `{"pid":${process.pid},"ppid":${process.ppid},"version":"1.19.3","config_path":"/fluentd/etc/fluent.conf","pid_file":null,"plugin_dirs":["/etc/fluent/plugin"],"log_path":null,"root_dir":null}`;
  }

  async function waitForEvents(test: (e: ReceivedEvent) => boolean, count: number, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = fake.received.filter(test);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`Received ${found.length} of ${count} matching events within ${timeoutMs} ms.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function close(): Promise<void> {
    log('info', 'Received graceful stop', false);
    stopped = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    log('info', 'fluentd worker is now stopping worker=0');
    if (forward) await closeServer(forward, sockets);
    if (monitor) await closeServer(monitor, sockets);
    await writing.catch(() => undefined);
    log('info', 'Worker 0 finished with status 0', false);
  }

  log('info', `starting fluentd-1.19.3 pid=${process.pid} ruby="3.1.2"`, false);
  log('info', 'init worker0 logger path=nil rotate_age=nil rotate_size=nil');
  fake.running = startWorker();
  fake.running.catch(() => undefined);
  return fake;
}
