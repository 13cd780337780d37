// A fake: fluentd cannot run here (no Ruby gems from the network, no Docker image), so this server speaks fluentd's forward protocol and writes what it receives into a real Elasticsearch node the way compose/fluentd/fluent.conf's elasticsearch output does.
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeMulti, decodeMultiStream, ExtensionCodec, encode } from '@msgpack/msgpack';

/**
 * What it implements, from the Forward Protocol Specification v1 (the one fluent-logger and
 * fluentd's in_forward speak over TCP):
 * - the four event modes: Message `[tag, time, record, option?]`, Forward
 *   `[tag, [[time, record], ...], option?]`, PackedForward `[tag, entries, option?]` (entries:
 *   concatenated msgpack `[time, record]` pairs in a str or bin) and CompressedPackedForward
 *   (PackedForward with `option.compressed == "gzip"`);
 * - time as an integer (seconds) or as EventTime (ext type 0: seconds and nanoseconds);
 * - acknowledgements: when `option.chunk` is set, it answers `{ack: <chunk>}` once the events
 *   are buffered, as in_forward does.
 * Not implemented (the tutorial does not use them): the HELO/PING/PONG handshake of
 * `<security>`, UDP heartbeats, and `{a,b}` alternatives in match patterns.
 *
 * What it writes, as fluentd's elasticsearch output does with the tutorial's settings
 * (logstash_format true, include_timestamp true, suppress_type_name true): events whose tag
 * matches the pattern (default `ds.**`) are buffered and sent with `POST /_bulk` every
 * `flushIntervalMs` to the index `logstash-YYYY.MM.DD` (UTC date of the event time), each
 * record plus an `@timestamp` field (ISO 8601 with nanoseconds and +00:00) unless the record
 * already has one. The tag is not a field of the document (fluentd adds it only with
 * include_tag_key); it is in `received`. Events with other tags are counted and dropped, like
 * "no patterns matched". When the node cannot be reached the events stay in the buffer and the
 * next flush retries them.
 */

/** fluentd's EventTime: seconds and nanoseconds since the epoch (msgpack ext type 0). */
export class EventTime {
  constructor(
    readonly seconds: number,
    readonly nanoseconds: number,
  ) {}

  static fromMillis(ms: number): EventTime {
    const seconds = Math.floor(ms / 1000);
    return new EventTime(seconds, Math.round((ms - seconds * 1000) * 1e6));
  }
}

/** Encodes and decodes EventTime as ext type 0; pass it to `encode()` in a test client too. */
export const fluentExtensionCodec = new ExtensionCodec();
fluentExtensionCodec.register({
  type: 0,
  encode: (value: unknown) => {
    if (!(value instanceof EventTime)) return null;
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, value.seconds);
    view.setUint32(4, value.nanoseconds);
    return bytes;
  },
  decode: (data: Uint8Array) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return new EventTime(view.getUint32(0), view.getUint32(4));
  },
});

export type ForwardMode = 'Message' | 'Forward' | 'PackedForward' | 'CompressedPackedForward';

/** One event as received, before any routing. */
export interface ReceivedEvent {
  tag: string;
  /** Event time in seconds since the epoch. */
  time: EventTime;
  record: Record<string, unknown>;
  mode: ForwardMode;
}

export interface FluentdForwardFakeOptions {
  /** Base URL of the Elasticsearch node to write to, e.g. testEnv.elasticsearchUrl. */
  esUrl: string;
  /** fluentd match pattern for the events to write (default `ds.**`, as in compose/fluentd/fluent.conf). */
  match?: string;
  /** Index prefix, as logstash_prefix (default `logstash`). */
  indexPrefix?: string;
  /** Buffer flush interval, as flush_interval (default 500 ms; the stack uses 3 s). */
  flushIntervalMs?: number;
}

export interface FluentdForwardFake {
  /** Always 127.0.0.1. */
  host: string;
  /** The free port it listens on; give it to the scripts as FLUENTD_FORWARD_PORT. */
  port: number;
  /** Every event received, in order, whatever its tag. */
  received: ReceivedEvent[];
  /** Counters, in the spirit of monitor_agent's. */
  stats: {
    emitRecords: number;
    unmatchedRecords: number;
    bulkRequests: number;
    bulkItemErrors: number;
    retryCount: number;
    lastError?: string;
  };
  /**
   * Waits until at least `count` received events have this tag (a string) or pass this test (a
   * function), and resolves with all of them. Rejects after `timeoutMs` (default 10 s).
   */
  waitForEvents(which: string | ((event: ReceivedEvent) => boolean), count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  /** Sends whatever is buffered now, and resolves when the node has answered. */
  flush(): Promise<void>;
  /** Stops listening, flushes the buffer, closes open connections. */
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFluentdForwardFake(options: FluentdForwardFakeOptions): Promise<FluentdForwardFake> {
  const esUrl = options.esUrl.replace(/\/+$/, '');
  const matches = compileMatch(options.match ?? 'ds.**');
  const indexPrefix = options.indexPrefix ?? 'logstash';
  const received: ReceivedEvent[] = [];
  const stats: FluentdForwardFake['stats'] = { emitRecords: 0, unmatchedRecords: 0, bulkRequests: 0, bulkItemErrors: 0, retryCount: 0 };
  let buffer: ReceivedEvent[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const sockets = new Set<Socket>();

  const accept = (events: ReceivedEvent[]) => {
    for (const event of events) {
      received.push(event);
      if (matches(event.tag)) {
        stats.emitRecords++;
        buffer.push(event);
      } else {
        stats.unmatchedRecords++;
      }
    }
  };

  const writeBuffer = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    const lines: string[] = [];
    for (const event of batch) {
      const doc: Record<string, unknown> = { ...event.record };
      if (!('@timestamp' in doc)) doc['@timestamp'] = isoTimestamp(event.time);
      lines.push(JSON.stringify({ index: { _index: `${indexPrefix}-${utcDate(event.time)}` } }), JSON.stringify(doc));
    }
    try {
      stats.bulkRequests++;
      const res = await fetch(`${esUrl}/_bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${lines.join('\n')}\n`,
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { errors?: boolean; items?: { index?: { error?: unknown } }[] };
      if (!res.ok) throw new Error(`POST /_bulk answered ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
      // Like fluentd, a rejected document is reported, not retried (it would fail again).
      for (const item of body.items ?? []) if (item.index?.error) stats.bulkItemErrors++;
    } catch (err) {
      // Unreachable or failing node: keep the events for the next flush, as fluentd's buffer does.
      stats.retryCount++;
      stats.lastError = (err as Error).message;
      buffer = batch.concat(buffer);
    }
  };

  // One flush at a time, in order.
  const flush = (): Promise<void> => {
    flushing = flushing.then(writeBuffer);
    return flushing;
  };
  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 500);
  timer.unref();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    void handleConnection(socket, accept);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const waitForEvents = async (
    which: string | ((event: ReceivedEvent) => boolean),
    count: number,
    timeoutMs = 10_000,
  ): Promise<ReceivedEvent[]> => {
    const test = typeof which === 'string' ? (e: ReceivedEvent) => e.tag === which : which;
    const what = typeof which === 'string' ? `events tagged ${which}` : 'matching events';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = received.filter(test);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`Received ${found.length} of ${count} ${what} within ${timeoutMs} ms.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const close = async (): Promise<void> => {
    clearInterval(timer);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await flush();
  };

  return { host: '127.0.0.1', port, received, stats, waitForEvents, flush, close };
}

/** Reads msgpack values from one connection until it closes; each value is one request. */
async function handleConnection(socket: Socket, accept: (events: ReceivedEvent[]) => void): Promise<void> {
  try {
    // rawStrings: str values arrive as bytes, so PackedForward entries sent as str (older
    // clients) are not mangled by UTF-8 decoding; toText() turns the rest back into text.
    for await (const message of decodeMultiStream(socket, { extensionCodec: fluentExtensionCodec, rawStrings: true })) {
      const { events, chunk } = parseRequest(message);
      accept(events);
      if (chunk !== undefined) socket.write(encode({ ack: chunk }));
    }
  } catch (err) {
    // in_forward closes a connection that sends something it cannot parse.
    if (!socket.destroyed) socket.destroy(err as Error);
  }
}

/** Turns one forward-protocol request into events, whichever of the four modes it uses. */
function parseRequest(message: unknown): { events: ReceivedEvent[]; chunk?: string } {
  if (!Array.isArray(message) || message.length < 2) throw new Error('A forward request must be an array [tag, ...].');
  const tag = toText(message[0]);
  if (typeof tag !== 'string') throw new Error('The tag must be a string.');
  const second = message[1];

  // Message: [tag, time, record, option?]
  if (isTime(second)) {
    const option = asOption(message[3]);
    return { events: [{ tag, time: toEventTime(second), record: asRecord(message[2]), mode: 'Message' }], chunk: option.chunk };
  }
  const option = asOption(message[2]);
  // Forward: [tag, [[time, record], ...], option?]
  if (Array.isArray(second)) {
    return { events: second.map((entry) => toEvent(tag, entry, 'Forward')), chunk: option.chunk };
  }
  // PackedForward / CompressedPackedForward: [tag, bytes, option?]
  if (second instanceof Uint8Array) {
    const compressed = option.compressed === 'gzip';
    const bytes = compressed ? gunzipSync(second) : second;
    const mode: ForwardMode = compressed ? 'CompressedPackedForward' : 'PackedForward';
    const events = [...decodeMulti(bytes, { extensionCodec: fluentExtensionCodec, rawStrings: true })].map((entry) =>
      toEvent(tag, entry, mode),
    );
    return { events, chunk: option.chunk };
  }
  throw new Error('Unknown forward mode: the second element is neither a time, an array nor bytes.');
}

function toEvent(tag: string, entry: unknown, mode: ForwardMode): ReceivedEvent {
  if (!Array.isArray(entry) || entry.length < 2 || !isTime(entry[0])) throw new Error('An entry must be [time, record].');
  return { tag, time: toEventTime(entry[0]), record: asRecord(entry[1]), mode };
}

function isTime(value: unknown): value is number | EventTime {
  return typeof value === 'number' || value instanceof EventTime;
}

function toEventTime(value: number | EventTime): EventTime {
  if (value instanceof EventTime) return value;
  const seconds = Math.floor(value);
  return new EventTime(seconds, Math.round((value - seconds) * 1e9));
}

function asRecord(value: unknown): Record<string, unknown> {
  const text = toText(value);
  if (text === null || typeof text !== 'object' || Array.isArray(text)) throw new Error('A record must be a map.');
  return text as Record<string, unknown>;
}

function asOption(value: unknown): { chunk?: string; compressed?: string; size?: number } {
  if (value === undefined || value === null) return {};
  const option = toText(value) as Record<string, unknown>;
  return {
    chunk: typeof option.chunk === 'string' ? option.chunk : undefined,
    compressed: typeof option.compressed === 'string' ? option.compressed : undefined,
    size: typeof option.size === 'number' ? option.size : undefined,
  };
}

/** Raw strings back to text, recursively; fluentd's JSON output treats them as strings too. */
function toText(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (Array.isArray(value)) return value.map(toText);
  if (value instanceof EventTime) return value;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toText(v)]));
  }
  return value;
}

/**
 * A fluentd match pattern as a predicate: `*` is one tag part, `**` zero or more parts
 * (so `ds.**` matches `ds` and `ds.app.x`), several patterns separated by spaces.
 */
export function compileMatch(pattern: string): (tag: string) => boolean {
  const regexes = pattern
    .trim()
    .split(/\s+/)
    .map((one) => {
      let source = '';
      for (let i = 0; i < one.length; i++) {
        const rest = one.slice(i);
        if (rest.startsWith('.**')) {
          source += '(?:\\..+)?';
          i += 2;
        } else if (rest.startsWith('**')) {
          source += '.*';
          i += 1;
        } else if (one[i] === '*') {
          source += '[^.]+';
        } else {
          source += one[i]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
        }
      }
      return new RegExp(`^${source}$`);
    });
  return (tag) => regexes.some((re) => re.test(tag));
}

function utcDate(time: EventTime): string {
  const d = new Date(time.seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}.${pad(d.getUTCMonth() + 1)}.${pad(d.getUTCDate())}`;
}

function isoTimestamp(time: EventTime): string {
  const base = new Date(time.seconds * 1000).toISOString().slice(0, 19);
  return `${base}.${String(time.nanoseconds).padStart(9, '0')}+00:00`;
}

/** A chunk id for the ack option, as fluent clients make one (base64 of 16 random bytes). */
export function newChunkId(): string {
  return randomBytes(16).toString('base64');
}
