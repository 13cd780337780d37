import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CLIENT_FRAME, type ServerMessage } from '../../../protocol/messages.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Bad = { what: string; data: string | Buffer; binary?: boolean };

/** One malformed message: bad JSON, wrong shapes, unknown types and ids, binary garbage, invalid UTF-8, oversize frames. */
function badMessage(i: number, rnd: () => number): Bad {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join('');
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  if (i % 97 === 0)
    return { what: 'oversize text frame', data: JSON.stringify({ type: 'input', data: 'x'.repeat(MAX_CLIENT_FRAME + 10) }) };
  if (i % 89 === 0) return { what: 'oversize binary frame', data: bytes(MAX_CLIENT_FRAME + 1), binary: true };
  if (i % 83 === 0) return { what: 'invalid UTF-8 in a text frame', data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), binary: false };
  switch (i % 9) {
    case 0:
      return { what: 'bad JSON', data: `{${junk(1 + Math.floor(rnd() * 40))}` };
    case 1:
      return { what: 'JSON that is no object', data: pick(['1', '"attach"', 'null', '[]', 'true', '[{"type":"attach"}]']) };
    case 2:
      return {
        what: 'unknown type',
        data: JSON.stringify({ type: pick(['exec', 'shell', 'ATTACH', '', '__proto__', 'constructor']), data: junk(5) }),
      };
    case 3:
      return {
        what: 'wrong field types',
        data: pick([
          '{"type":"attach","chapter":"term-a","cols":"80","rows":24}',
          '{"type":"attach","chapter":"term-a","cols":80.5,"rows":24}',
          '{"type":"attach","chapter":"term-a","cols":100000,"rows":24}',
          '{"type":"input","data":42}',
          '{"type":"input","data":""}',
          '{"type":"ack","bytes":-5}',
          '{"type":"ack","bytes":"lots"}',
          '{"type":"resize","cols":0,"rows":-1}',
          '{"type":"run","chapter":"term-a","step":"succeeds","index":"0"}',
          '{"type":"run","chapter":"Term A","step":"succeeds","index":0}',
          '{"type":"check","chapter":["term-a"],"step":"succeeds"}',
        ]),
      };
    case 4:
      return {
        what: 'missing fields',
        data: pick(['{"type":"attach"}', '{"type":"run","chapter":"term-a"}', '{"type":"resize","cols":80}', '{}']),
      };
    case 5:
      return { what: 'extra fields', data: '{"type":"check","chapter":"term-a","step":"succeeds","command":"rm -rf ~"}' };
    case 6:
      return { what: 'binary garbage', data: bytes(1 + Math.floor(rnd() * 200)), binary: true };
    case 7:
      return {
        what: 'unknown chapter or step id',
        data: pick([
          '{"type":"attach","chapter":"no-such-chapter","cols":80,"rows":24}',
          '{"type":"check","chapter":"no-such-chapter","step":"succeeds"}',
          '{"type":"check","chapter":"term-a","step":"no-such-step"}',
          '{"type":"run","chapter":"term-a","step":"no-such-step","index":0}',
          '{"type":"run-chapter","chapter":"no-such-chapter"}',
          '{"type":"stop-chapter","chapter":"no-such-chapter"}',
          '{"type":"reset","chapter":"no-such-chapter"}',
        ]),
      };
    default:
      return {
        what: 'input before attach',
        data: pick(['{"type":"input","data":"ls\\r"}', '{"type":"resize","cols":80,"rows":24}', '{"type":"ack","bytes":10}']),
      };
  }
}

describe('TerminalSockets against hostile messages', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('answers each of 1,000 malformed messages with an error or a close, and keeps serving', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const rnd = random(20240611);
    let client = await TestClient.open(server);
    const outcomes = new Map<string, { errors: number; closes: number }>();
    let sockets = 1;
    for (let i = 0; i < 1000; i++) {
      if (client.closed) {
        client = await TestClient.open(server);
        sockets += 1;
      }
      const bad = badMessage(i, rnd);
      const from = client.messages.length;
      if (typeof bad.data === 'string') client.ws.send(bad.data);
      else client.ws.send(bad.data, { binary: bad.binary ?? true });
      const outcome = await pollUntil(
        () => client.messages.slice(from).find((m) => m.type === 'error') ?? (client.closed ? 'closed' : undefined),
        `a reply to message ${i} (${bad.what})`,
        10_000,
        1,
      );
      const o = outcomes.get(bad.what) ?? { errors: 0, closes: 0 };
      if (outcome === 'closed') o.closes += 1;
      else {
        o.errors += 1;
        const error = outcome as Extract<ServerMessage, { type: 'error' }>;
        expect(error.code, bad.what).toMatch(/^[a-z-]+$/);
        // A full sentence, without an "Error:" prefix.
        expect(error.message, bad.what).toMatch(/^[A-Z"].*\.$/s);
        expect(error.message).not.toMatch(/^Error/);
      }
      outcomes.set(bad.what, o);
    }
    console.log(`1,000 malformed messages over ${sockets} sockets:`, Object.fromEntries(outcomes));
    // Oversize frames and invalid UTF-8 close the socket (1009, 1007); the rest get errors.
    expect(outcomes.get('oversize text frame')?.errors).toBe(0);
    expect(outcomes.get('bad JSON')?.errors).toBeGreaterThan(0);

    // The server carries on: a new socket gets a shell that runs commands.
    await client.close();
    const fresh = await TestClient.open(server);
    await fresh.attach('term-a');
    expect(await fresh.run('echo "alive-$((40 + 2))"')).toContain('alive-42');
    await fresh.close();
  });

  it('names what exists when a chapter, step or command is unknown', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const client = await TestClient.open(server);
    const ask = async (m: unknown) => {
      const from = client.messages.length;
      client.send(m);
      return client.waitFor((x) => x.type === 'error', 'an error', from);
    };
    expect(await ask({ type: 'attach', chapter: 'no-such-chapter', cols: 80, rows: 24 })).toEqual({
      type: 'error',
      code: 'unknown-chapter',
      message: 'There is no chapter "no-such-chapter". Chapters: term-a, term-b.',
    });
    expect(await ask({ type: 'run', chapter: 'term-a', step: 'no-such-step', index: 0 })).toEqual({
      type: 'error',
      code: 'unknown-step',
      message: 'The chapter "term-a" has no step "no-such-step". Its steps: succeeds, fails, sleeps, three, bang, writes-note, exports.',
    });
    expect(await ask({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 5 })).toMatchObject({ code: 'unknown-command' });
    expect(await ask({ type: 'stop-chapter', chapter: 'no-such-chapter' })).toMatchObject({ code: 'unknown-chapter' });
    // Words for the learner, not the protocol's ("send attach first").
    expect(await ask({ type: 'input', data: 'ls\r' })).toEqual({
      type: 'error',
      code: 'not-attached',
      message: 'This tab is not using the chapter\'s terminal right now. Press "Use it here" to use it in this tab.',
    });
    await client.close();
  });

  it('refuses a shell past maxSessions with a clear error', async () => {
    server = await startTestServer({ contentDir: CONTENT, maxSessions: 1 });
    const a = await TestClient.open(server);
    await a.attach('term-a');
    const b = await TestClient.open(server);
    b.send({ type: 'attach', chapter: 'term-b', cols: 80, rows: 24 });
    expect(await b.waitFor((m) => m.type === 'error', 'the limit error')).toEqual({
      type: 'error',
      code: 'too-many-sessions',
      message: 'The tutorial server already runs 1 shells, its limit. Close other tutorial tabs, or restart the server.',
    });
    // The same chapter is still open to it: that is the existing shell, taken over.
    await b.attach('term-a');
    expect(server.sessions.size).toBe(1);
    await a.close();
    await b.close();
  });

  it('rate-limits a flood of messages, then closes the socket; other sockets carry on', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const calm = await TestClient.open(server);
    await calm.attach('term-a');
    const flood = await TestClient.open(server);
    await flood.attach('term-b');
    for (let i = 0; i < 5000 && flood.ws.readyState === flood.ws.OPEN; i++) flood.send({ type: 'resize', cols: 80 + (i % 10), rows: 24 });
    const closed = await flood.waitClosed();
    expect(closed.code).toBe(1008);
    const limited = flood.messages.filter((m) => m.type === 'error' && m.code === 'rate-limited');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ message: 'The page sent too many messages at once; some were dropped.' });
    expect(await calm.run('echo "calm-$((1 + 2))"')).toContain('calm-3');
    await calm.close();
  });
});
