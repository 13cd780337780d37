// A fake (part of tests/fakes/fluentd.ts): fluentd cannot run here (no rubygems, no Docker image), so this module speaks fluentd's forward protocol as its in_forward does; fluentd.ts buffers what it receives and writes it to Elasticsearch.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
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
 * What happens to the events (buffer, `_bulk`, retry) is tests/fakes/fluentd.ts's business.
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

/** Reads msgpack values from one connection until it closes; each value is one request. */
export async function handleConnection(socket: Socket, accept: (events: ReceivedEvent[]) => void): Promise<void> {
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

export function utcDate(time: EventTime): string {
  const d = new Date(time.seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}.${pad(d.getUTCMonth() + 1)}.${pad(d.getUTCDate())}`;
}

export function isoTimestamp(time: EventTime): string {
  const base = new Date(time.seconds * 1000).toISOString().slice(0, 19);
  return `${base}.${String(time.nanoseconds).padStart(9, '0')}+00:00`;
}

/** A chunk id for the ack option, as fluent clients make one (base64 of 16 random bytes). */
export function newChunkId(): string {
  return randomBytes(16).toString('base64');
}
