import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW } from '../../../protocol/messages.ts';
import type { TerminalSession } from '../../../server/terminal/session.ts';
import { alive } from '../../helpers/procs.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');
/** node-pty reads at most this much at once; output already read when the pty pauses still goes out. */
const ONE_READ = 64 * 1024;

/** The pid of the shell's child running `name`, once there is one. */
function child(session: TerminalSession, name: string): number | undefined {
  const children = readFileSync(`/proc/${session.pid}/task/${session.pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return children.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

describe('Flow control, UTF-8, resize and long input', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('pauses `yes` for a page that stops acking, keeps memory bounded, and Ctrl-C stops it at once', async () => {
    const client = await TestClient.open(server, { autoAck: false });
    await client.attach('term-a');
    const session = server.sessions.get('term-a')!;
    await pollUntil(() => !session.busy, 'the first prompt');
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    client.input('yes\r');
    await pollUntil(() => session.paused, 'the pty to pause');
    const yes = await pollUntil(() => child(session, 'yes'), 'the yes process');
    // Paused, it stays paused: over many polls nothing more arrives past the high mark.
    let maxUnacked = 0;
    let polls = 0;
    await pollUntil(() => {
      maxUnacked = Math.max(maxUnacked, session.unacknowledged);
      expect(session.paused).toBe(true);
      expect(client.outputBytes).toBeLessThanOrEqual(FLOW.highWater + ONE_READ);
      return ++polls >= 50 ? true : undefined;
    }, '50 polls');
    const rssPaused = process.memoryUsage().rss;
    expect(maxUnacked).toBeGreaterThanOrEqual(FLOW.highWater);
    expect(maxUnacked).toBeLessThanOrEqual(FLOW.highWater + ONE_READ);
    // Loose: a server that kept reading would hold hundreds of megabytes by now.
    expect(rssPaused - rssBefore).toBeLessThan(64 * 1024 * 1024);
    console.log(
      `flood: paused at ${maxUnacked} unacknowledged bytes (high mark ${FLOW.highWater}); client got ${client.outputBytes} bytes; RSS growth ${((rssPaused - rssBefore) / 1e6).toFixed(1)} MB`,
    );

    // Ctrl-C reaches the line discipline even though the output is blocked: yes ends before any ack.
    client.input('\x03');
    await pollUntil(() => !alive(yes), 'yes to end after Ctrl-C');
    client.autoAck = true;
    client.ack();
    await pollUntil(() => !session.busy, 'the prompt to come back');
    expect(session.paused).toBe(false);
    expect(await client.run('echo "after-$((20 + 2))"')).toContain('after-22');
    await client.close();
  });

  it('delivers `seq 1 200000` complete and in order once acks resume', async () => {
    const client = await TestClient.open(server, { autoAck: false });
    await client.attach('term-a');
    const session = server.sessions.get('term-a')!;
    await pollUntil(() => !session.busy, 'the prompt');
    client.mark();
    client.input("seq 1 200000; printf '%s\\n' 'SEQ''-DONE'\r");
    await pollUntil(() => session.paused, 'the pty to pause');
    const pausedAt = session.unacknowledged;
    client.autoAck = true;
    client.ack();
    const text = await client.waitForText(/SEQ-DONE\r\n/, 60_000);
    // A line is what follows its last CR (bash turns bracketed paste off with "\x1b[?2004l\r" first).
    const numbers = text
      .split('\r\n')
      .map((l) => l.slice(l.lastIndexOf('\r') + 1))
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
    expect(numbers.length).toBe(200000);
    expect(numbers.every((n, i) => n === i + 1)).toBe(true);
    console.log(`seq: paused at ${pausedAt} unacknowledged bytes, then ${client.outputBytes} bytes arrived in order`);
    await client.close();
  });

  it('acks are not rate limited while output is unacknowledged', async () => {
    const client = await TestClient.open(server, { autoAck: false });
    await client.attach('term-a');
    const session = server.sessions.get('term-a')!;
    client.input('yes\r');
    await pollUntil(() => session.paused, 'the pty to pause');
    // Far more than the rate limit's burst, in one go.
    for (let i = 0; i < 3000; i++) client.send({ type: 'ack', bytes: 1 });
    client.input('\x03');
    client.autoAck = true;
    client.ack();
    await pollUntil(() => !session.busy, 'the prompt after Ctrl-C');
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(client.closed).toBeUndefined();
    await client.close();
  });

  it('keeps multibyte characters intact across chunk boundaries', async () => {
    const client = await TestClient.open(server);
    await client.attach('term-a');
    await client.run("printf 'é€😀%.0s' $(seq 1 40000) > mb.txt");
    client.mark();
    const before = client.frames.length;
    const out = await client.run('cat mb.txt; echo');
    expect(out).toContain('é€😀'.repeat(40000));
    // Every frame is whole UTF-8 on its own: node-pty decodes the pty as a stream.
    const frames = client.frames.slice(before);
    // 160K UTF-16 units (360 KB) in frames that end at 64K units (server/terminal/output-batch.ts):
    // at least three, however the batching gathers them, so there are boundaries to cut one at.
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const f of frames) expect(f.toString('utf8')).not.toContain('\ufffd');
    await client.close();
  });

  it('resize reaches the shell (`stty size`)', async () => {
    const client = await TestClient.open(server);
    await client.attach('term-a', 80, 24);
    expect(await client.run('stty size')).toContain('24 80');
    client.send({ type: 'resize', cols: 123, rows: 45 });
    expect(await client.run('stty size')).toContain('45 123');
    await client.close();
  });

  it("gives pyenv's rehash 5 s for its lock, not 60 (a lock a killed shell leaves would hold the prompt)", async () => {
    const client = await TestClient.open(server);
    await client.attach('term-a');
    expect(process.env.PYENV_REHASH_TIMEOUT).toBeUndefined();
    expect(await client.run('echo "[$PYENV_REHASH_TIMEOUT]"')).toContain('[5]');
    await client.close();
  });

  it('a pasted 10 KB script with a 5,000-character line arrives whole', async () => {
    const client = await TestClient.open(server);
    await client.attach('term-a');
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < 10_000; i++) lines.push(`line ${i}: echo "value $((${i} * 2))" # é€😀 [x] {y} | z;`);
    lines.push(`long ${'abcdefghij'.repeat(500)}`);
    const body = `${lines.join('\n')}\n`;
    client.input(`cat > pasted.txt <<'EOF'\r${lines.join('\r')}\rEOF\r`);
    const out = await client.run('sha256sum pasted.txt', 30_000);
    const expected = createHash('sha256').update(body).digest('hex');
    expect(out).toContain(expected);
    await client.close();
  });
});
