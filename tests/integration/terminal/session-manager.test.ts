import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TerminalSession } from '../../../server/terminal/session.ts';
import { alive } from '../../helpers/procs.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');

/**
 * Starts `sleep 1000 &`, `nohup sleep 1000 &` and a foreground `sleep 1000` in the attached shell
 * and returns their pids, read from /proc (the foreground one is found as the shell's child).
 */
async function startJobs(client: TestClient, session: TerminalSession): Promise<number[]> {
  const out = await client.run('sleep 1000 & echo "bg=$!"; nohup sleep 1000 >/dev/null 2>&1 & echo "nohup=$!"');
  const bg = Number(/bg=(\d+)/.exec(out)?.[1]);
  const nohup = Number(/nohup=(\d+)/.exec(out)?.[1]);
  client.input('sleep 1000\r');
  // A child can end between the two reads (the learner's rc runs short commands at each prompt,
  // pyenv's hook for one): such a child is not the sleep.
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  const fg = await pollUntil(() => {
    const children = readFileSync(`/proc/${session.pid}/task/${session.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    return children.find((pid) => pid !== bg && pid !== nohup && cmdline(pid).startsWith('sleep'));
  }, 'the foreground sleep');
  const pids = [bg, nohup, fg];
  for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(true);
  return pids;
}

describe('TerminalSession across reconnects', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('replays the earlier output on reattach, and the shell keeps its cwd and variables', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const first = await TestClient.open(server);
    await first.attach('term-a');
    await first.run('mkdir -p sub/dir && cd sub/dir && export TUT_TEST_VAR=kept-across-reconnects');
    await first.run('echo "before-reconnect-$((6 * 7))"');
    const pid = server.sessions.get('term-a')?.pid;
    await first.close();
    await pollUntil(() => !server?.sessions.get('term-a')?.attached, 'the session to be detached');

    const second = await TestClient.open(server);
    const attached = await second.attach('term-a');
    expect(attached.replay).toContain('before-reconnect-42');
    expect(server.sessions.get('term-a')?.pid).toBe(pid);
    const out = await second.run('echo "cwd=$PWD var=$TUT_TEST_VAR"');
    expect(out).toContain(`cwd=${join(server.workspace, 'sub', 'dir')} var=kept-across-reconnects`);
    await second.close();
  });

  it('keystrokes typed before the first prompt reach the shell, even past an rc that reads the terminal', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    // The rc sources the workspace's virtualenv before the first prompt. This one reads the
    // terminal, as programs run from rc files may: without the hold it would eat the typed line.
    const bin = join(server.workspace, '.venv', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'activate'), 'read -t 1 -r __eaten; echo "read=$? eaten=$__eaten" > "$PWD/rc-read.txt"\n');
    const client = await TestClient.open(server);
    client.mark();
    client.send({ type: 'attach', chapter: 'term-a', cols: 80, rows: 24 });
    client.input('echo "typed-ahead-$((3 * 3))"\r');
    await client.waitForText('typed-ahead-9');
    // The rc's read timed out with nothing read.
    expect(readFileSync(join(server.workspace, 'rc-read.txt'), 'utf8')).toMatch(/^read=1\d\d eaten=\n$/);
    await client.close();
  });

  it('a second page takes the shell over; the first is told', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const first = await TestClient.open(server);
    await first.attach('term-a');
    const second = await TestClient.open(server);
    await second.attach('term-a');
    await first.waitFor((m) => m.type === 'error' && m.code === 'taken-over', 'the taken-over error');
    first.send({ type: 'input', data: 'echo hi\r' });
    await first.waitFor((m) => m.type === 'error' && m.code === 'not-attached', 'the not-attached error');
    await first.close();
    await second.close();
  });

  it('keeps the replay within its byte limit', async () => {
    server = await startTestServer({ contentDir: CONTENT, replayLimit: 16 * 1024 });
    const client = await TestClient.open(server);
    await client.attach('term-a');
    await client.run('seq 1 50000 | tail -c 200000; echo "é€😀 end-of-replay"');
    const session = server.sessions.get('term-a')!;
    expect(session.replayBytes).toBeLessThanOrEqual(16 * 1024);
    await client.close();
    const again = await TestClient.open(server);
    const { replay } = await again.attach('term-a');
    expect(Buffer.byteLength(replay)).toBeLessThanOrEqual(16 * 1024);
    expect(replay).toContain('é€😀 end-of-replay');
    expect(replay).not.toContain('\ufffd');
    await again.close();
  });
});

describe('Ending a session ends its whole process tree', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('SessionManager.end kills a background job, a nohup job and a foreground job, and the page hears the exit', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const client = await TestClient.open(server);
    await client.attach('term-a');
    const session = server.sessions.get('term-a')!;
    const pids = await startJobs(client, session);
    await server.sessions.end('term-a');
    for (const pid of [...pids, session.pid]) expect(alive(pid), `pid ${pid} survived`).toBe(false);
    const exit = await client.waitFor((m) => m.type === 'exit', 'the exit message');
    expect(exit).toMatchObject({ type: 'exit', chapter: 'term-a' });
    await client.close();
  });

  it('server shutdown ends every session with its jobs and closes every socket', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const a = await TestClient.open(server);
    await a.attach('term-a');
    const b = await TestClient.open(server);
    await b.attach('term-b');
    const pids = [
      ...(await startJobs(a, server.sessions.get('term-a')!)),
      ...(await startJobs(b, server.sessions.get('term-b')!)),
      server.sessions.get('term-a')!.pid,
      server.sessions.get('term-b')!.pid,
    ];
    // A page that never answers the closing handshake must not hold the shutdown up.
    b.ws.pause();
    await server.dispose();
    server = undefined;
    for (const pid of pids) expect(alive(pid), `pid ${pid} survived`).toBe(false);
    expect((await a.waitClosed()).code).toBe(1001);
    b.ws.resume();
    await b.waitClosed();
  });

  it('a shell that exits by itself reports its exit status, and the next attach starts a new one', async () => {
    server = await startTestServer({ contentDir: CONTENT });
    const client = await TestClient.open(server);
    await client.attach('term-a');
    await client.run('true');
    const oldPid = server.sessions.get('term-a')!.pid;
    client.input('exit 7\r');
    const exit = await client.waitFor((m) => m.type === 'exit', 'the exit message');
    expect(exit).toMatchObject({ exitCode: 7 });
    await client.attach('term-a');
    expect(server.sessions.get('term-a')!.pid).not.toBe(oldPid);
    expect(await client.run('echo "new-$((1 + 1))"')).toContain('new-2');
    expect(existsSync(`/proc/${oldPid}/stat`) && alive(oldPid)).toBe(false);
    await client.close();
  });
});

describe('Reaping', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('the heartbeat closes a socket that answers no ping, and the session is detached', async () => {
    server = await startTestServer({ contentDir: CONTENT, heartbeatMs: 100 });
    const silent = await TestClient.open(server, { autoPong: false });
    await silent.attach('term-a');
    await silent.waitClosed();
    await pollUntil(() => server?.sessions.get('term-a')?.attached === false, 'the session to be detached');
    // A socket that answers pings stays open over the same number of beats.
    const live = await TestClient.open(server);
    await live.attach('term-a');
    const closedSilent = silent.closed!.code;
    expect(closedSilent).toBe(1006);
    await pollUntil(() => live.pings >= 4, 'four heartbeats');
    expect(live.closed).toBeUndefined();
    expect(await live.run('echo "still-$((2 + 2))"')).toContain('still-4');
    await live.close();
  });

  it('a session with no socket ends after the idle grace period, with its jobs', async () => {
    server = await startTestServer({ contentDir: CONTENT, idleGraceMs: 300 });
    const client = await TestClient.open(server);
    await client.attach('term-a');
    const session = server.sessions.get('term-a')!;
    const out = await client.run('nohup sleep 1000 >/dev/null 2>&1 & echo "nohup=$!"');
    const nohup = Number(/nohup=(\d+)/.exec(out)?.[1]);
    // Attached: never reaped, however long it idles.
    server.sessions.reapIdle(Date.now() + 60_000);
    expect(server.sessions.get('term-a')).toBe(session);
    await client.close();
    await pollUntil(() => server?.sessions.get('term-a') === undefined, 'the idle session to end');
    await pollUntil(() => !alive(session.pid) && !alive(nohup), 'the shell and its nohup job to end');
  });
});
