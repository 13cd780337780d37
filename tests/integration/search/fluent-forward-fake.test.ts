import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FluentdFake, startFluentdFake } from '../../fakes/fluentd.ts';
import { compileMatch, EventTime, fluentExtensionCodec, newChunkId, type ReceivedEvent } from '../../fakes/fluentd-forward.ts';
import { testEnv } from '../../helpers/env.ts';

/**
 * The fluentd fake's forward input (tests/fakes/fluentd.ts, fluentd-forward.ts): every event mode a fluent client may use, the ack
 * option, routing by tag, and what it writes into the real Elasticsearch node. The Python examples
 * only use Message mode; other clients (fluent-bit, the Docker fluentd log driver, Ruby's
 * fluent-logger) use the others, and the fake must not pass a test that real fluentd would fail.
 */

const ES = testEnv.elasticsearchUrl.replace(/\/+$/, '');
let fake: FluentdFake;
const markers: string[] = [];

function newMarker(): string {
  const marker = `ds-fake-${randomBytes(4).toString('hex')}`;
  markers.push(marker);
  return marker;
}

const withMarker = (marker: string) => (e: ReceivedEvent) => e.record.marker === marker;

async function send(payload: unknown, readReply = false): Promise<unknown> {
  const socket: Socket = connect(fake.forwardPort, fake.host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const reply = readReply ? new Promise<Buffer>((resolve) => socket.once('data', resolve)) : undefined;
  socket.write(encode(payload, { extensionCodec: fluentExtensionCodec }));
  const answer = reply ? decode(await reply) : undefined;
  socket.end();
  return answer;
}

async function countInElasticsearch(marker: string, expected: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  let count = -1;
  while (Date.now() < deadline) {
    await fake.flush();
    const res = await fetch(`${ES}/logstash-*/_count?q=${encodeURIComponent(`marker:"${marker}"`)}`);
    if (res.ok) count = ((await res.json()) as { count: number }).count;
    if (count >= expected) return count;
    await new Promise((r) => setTimeout(r, 250));
  }
  return count;
}

beforeAll(async () => {
  const ping = await fetch(`${ES}/`, { signal: AbortSignal.timeout(5_000) }).catch((err: Error) => err);
  if (ping instanceof Error || !ping.ok) {
    throw new Error(
      `Elasticsearch does not answer at ${ES} (start it with tests/services/elasticsearch/start.sh, or set TEST_ELASTICSEARCH_URL).`,
    );
  }
  fake = startFluentdFake({ esUrl: ES, flushIntervalMs: 200 });
  await fake.running;
});

afterAll(async () => {
  await fake?.close();
  for (const marker of markers) {
    await fetch(`${ES}/logstash-*/_delete_by_query?refresh=true&q=${encodeURIComponent(`marker:"${marker}"`)}`, { method: 'POST' }).catch(
      () => undefined,
    );
  }
});

describe('fluentd match patterns', () => {
  it('treats ** as zero or more tag parts and * as exactly one', () => {
    const ds = compileMatch('ds.**');
    expect(['ds', 'ds.app', 'ds.app.train'].map(ds)).toEqual([true, true, true]);
    expect(['dsx', 'app.ds', 'd'].map(ds)).toEqual([false, false, false]);
    const one = compileMatch('app.*');
    expect(['app.a', 'app', 'app.a.b'].map(one)).toEqual([true, false, false]);
    expect(['a', 'b.c'].map(compileMatch('a b.*'))).toEqual([true, true]);
  });
});

describe('the forward protocol modes', () => {
  it('Message mode with an integer time', async () => {
    const marker = newMarker();
    await send(['ds', 1_700_000_000, { marker, message: 'one' }]);
    const [event] = await fake.waitForEvents(withMarker(marker), 1);
    expect(event).toMatchObject({ tag: 'ds', mode: 'Message', record: { message: 'one' } });
    expect(event!.time).toEqual(new EventTime(1_700_000_000, 0));
  });

  it('Forward mode with EventTime (nanoseconds) and a sub-tag under ds.**', async () => {
    const marker = newMarker();
    const time = new EventTime(1_700_000_001, 123_456_789);
    await send([
      'ds.train',
      [
        [time, { marker, n: 1 }],
        [time, { marker, n: 2 }],
      ],
    ]);
    const events = await fake.waitForEvents(withMarker(marker), 2);
    expect(events.map((e) => e.tag)).toEqual(['ds.train', 'ds.train']);
    expect(events.map((e) => [e.mode, e.record.n])).toEqual([
      ['Forward', 1],
      ['Forward', 2],
    ]);
    expect(events[0]!.time).toEqual(time);
    expect(await countInElasticsearch(marker, 2)).toBe(2);
    const res = await fetch(`${ES}/logstash-*/_search?q=${encodeURIComponent(`marker:"${marker}"`)}`);
    const hits = ((await res.json()) as { hits: { hits: { _index: string; _source: Record<string, unknown> }[] } }).hits.hits;
    // The index and @timestamp come from the event time (UTC), as fluentd's logstash_format does.
    expect(hits.map((h) => h._index)).toEqual(['logstash-2023.11.14', 'logstash-2023.11.14']);
    expect(hits[0]!._source['@timestamp']).toBe('2023-11-14T22:13:21.123456789+00:00');
  });

  it('PackedForward mode (entries as one bin of concatenated [time, record])', async () => {
    const marker = newMarker();
    const entries = Buffer.concat([1, 2, 3].map((n) => encode([1_700_000_002, { marker, n }])));
    await send(['ds', entries]);
    const events = await fake.waitForEvents(withMarker(marker), 3);
    expect(events.map((e) => [e.mode, e.record.n])).toEqual([
      ['PackedForward', 1],
      ['PackedForward', 2],
      ['PackedForward', 3],
    ]);
  });

  it('CompressedPackedForward mode (gzip) and the ack option', async () => {
    const marker = newMarker();
    const entries = gzipSync(Buffer.concat([encode([1_700_000_003, { marker, n: 1 }]), encode([1_700_000_003, { marker, n: 2 }])]));
    const chunk = newChunkId();
    const reply = await send(['ds', entries, { compressed: 'gzip', size: 2, chunk }], true);
    expect(reply).toEqual({ ack: chunk });
    const events = await fake.waitForEvents(withMarker(marker), 2);
    expect(events.map((e) => e.mode)).toEqual(['CompressedPackedForward', 'CompressedPackedForward']);
    expect(await countInElasticsearch(marker, 2)).toBe(2);
  });

  it('acks Message mode too when the client asks', async () => {
    const chunk = newChunkId();
    const reply = await send(['ds', 1_700_000_004, { marker: newMarker() }, { chunk }], true);
    expect(reply).toEqual({ ack: chunk });
  });
});

describe('routing and failures', () => {
  it('receives but does not write events whose tag does not match ds.**', async () => {
    const marker = newMarker();
    const unmatchedBefore = fake.unmatched;
    await send(['app', 1_700_000_005, { marker }]);
    await fake.waitForEvents(withMarker(marker), 1);
    expect(fake.unmatched).toBe(unmatchedBefore + 1);
    await fake.flush();
    await fetch(`${ES}/logstash-*/_refresh`, { method: 'POST' });
    const res = await fetch(`${ES}/logstash-*/_count?q=${encodeURIComponent(`marker:"${marker}"`)}`);
    expect(((await res.json()) as { count: number }).count).toBe(0);
  });

  it('closes a connection that sends something other than a forward request, and keeps serving others', async () => {
    const socket = connect(fake.forwardPort, fake.host);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(encode({ not: 'a forward request' }));
    await closed;

    const marker = newMarker();
    await send(['ds', 1_700_000_006, { marker }]);
    const [event] = await fake.waitForEvents(withMarker(marker), 1);
    expect(event!.tag).toBe('ds');
  });
});
