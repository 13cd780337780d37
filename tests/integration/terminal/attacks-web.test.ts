import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../server/paths.ts';
import { Sessions } from '../../../server/web/session.ts';
import { builtProgram } from '../../helpers/cli.ts';
import { alive } from '../../helpers/procs.ts';
import { signIn, startTestServer, type TestServer } from '../../helpers/server.ts';
import { ownOrigin, pollUntil, TestClient, upgradeStatus } from '../../helpers/ws-client.ts';

/**
 * The web half of the local trust boundary, attacked for real: a real server, real sockets, a real
 * `npm start` process. Each test names the threat it covers. (The filesystem and process half is in
 * its own suite.)
 */

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');

/** A plain HTTP request with exactly these headers; the status, headers and body of the answer. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `bytes` on a raw TCP connection and resets it (RST) at once, before reading anything. */
function sendAndReset(port: number, bytes: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes, () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
    socket.on('error', () => resolve());
  });
}

/** Sends `bytes` on a raw TCP connection and gives what comes back until the server closes it. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', () => {});
  });
}

const upgradeRequest = (port: number, extra = '') =>
  `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${extra}\r\n`;

describe('the web half of the local trust boundary', () => {
  let server: TestServer;
  const logged: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT, log: (line) => logged.push(line) });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('another local process: a plain GET of any page gets no credential, only how to get in', async () => {
    for (const path of ['/', '/chapters/hello-terminal/', '/progress/', '/index.html', '/404.html', '/no-such-page/', '/login']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await get(server.port, path, {}, method);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.headers['set-cookie'], `${method} ${path}`).toBeUndefined();
        expect(res.body).not.toContain(server.token);
        expect(res.body).not.toContain('tutorial-token');
        expect(res.body).not.toContain(new URL(server.loginUrl()).searchParams.get('key'));
        if (method === 'GET') expect(res.body, path).toContain('open the link that <code>npm start</code> printed in your terminal');
      }
    }
    // The open parts carry no credential either.
    const health = await get(server.port, '/healthz');
    expect(JSON.parse(health.body)).toEqual({ ok: true, version: expect.any(String) });
  });

  it('another local process: a forged Origin with a token scraped from a page is refused without the cookie', async () => {
    // Even with the token (as if it had leaked from a page), Host and Origin forged to be ours.
    const forged = { Host: `127.0.0.1:${server.port}`, Origin: ownOrigin(server.port) };
    expect(await upgradeStatus(server.port, forged, `/ws?token=${server.token}`)).toBe(403);
    await expect(TestClient.open(server, { cookie: null })).rejects.toThrow('refused with 403');
    // The signed-in browser, for comparison, is let in.
    expect(await upgradeStatus(server.port, { ...forged, Cookie: server.cookie }, `/ws?token=${server.token}`)).toBe(101);
  });

  it('another local process: a cookie signed with another key is refused, for pages and the websocket', async () => {
    const forged = `${new Sessions(randomBytes(32), server.port).cookieName}=${new Sessions(randomBytes(32), server.port).issue()}`;
    const page = await get(server.port, '/chapters/hello-terminal/', { Cookie: forged });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain(server.token);
    const headers = { Host: `127.0.0.1:${server.port}`, Origin: ownOrigin(server.port), Cookie: forged };
    expect(await upgradeStatus(server.port, headers, `/ws?token=${server.token}`)).toBe(403);
  });

  it('a stolen login link works once only: the second use gets the page that says how to get in, and no cookie', async () => {
    const link = new URL(server.loginUrl());
    const first = await get(server.port, `${link.pathname}${link.search}`);
    expect(first.status).toBe(200);
    expect(first.headers['set-cookie']?.[0]).toMatch(/^tutorial-session-\d+=v1\..*; Path=\/; HttpOnly; SameSite=Strict$/);
    const second = await get(server.port, `${link.pathname}${link.search}`);
    expect(second.status).toBe(403);
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(second.body).toContain('This login link has been used already');
    expect(second.body).not.toContain(server.token);
    // The use was logged with the next link, for the learner's next browser.
    expect(logged.some((l) => l.startsWith('A browser signed in from 127.0.0.1. The next browser signs in with: http://127.0.0.1:'))).toBe(
      true,
    );
    expect(server.loginUrl()).not.toBe(link.href);
  });

  it('a guessed login key gets nobody in and does not use up the real one', async () => {
    const res = await get(server.port, `/login?key=${randomBytes(32).toString('base64url')}`);
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
    const real = server.loginUrl();
    expect((await fetch(real)).status).toBe(200);
  });

  it('a reset upgrade (repeated 50 times, refused and accepted ones) leaves the server serving and the shells running', async () => {
    const client = await TestClient.open(server);
    await client.attach('term-a');
    const pid = Number((await client.run('echo "PID=$$"')).match(/PID=(\d+)/)?.[1]);
    for (let i = 0; i < 50; i++) {
      await sendAndReset(server.port, upgradeRequest(server.port));
      await sendAndReset(server.port, upgradeRequest(server.port, `Origin: ${ownOrigin(server.port)}\r\nCookie: ${server.cookie}\r\n`));
      await sendAndReset(server.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    }
    expect((await fetch(`${server.url}healthz`)).status).toBe(200);
    expect(alive(pid)).toBe(true);
    expect(await client.run('echo still-here')).toContain('still-here');
    await client.close();
  });

  it('a malformed request, of any kind, ends its own connection and leaves the server serving', async () => {
    for (const junk of [
      'NOT HTTP AT ALL\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
      `GET /%zz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      `GET /ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: ${ownOrigin(server.port)}\r\nCookie: ${server.cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`,
    ]) {
      const answer = await raw(server.port, junk);
      expect(answer, junk.slice(0, 60)).toMatch(/^HTTP\/1\.1 (400|403|431)/);
    }
    expect((await fetch(`${server.url}healthz`)).status).toBe(200);
  });

  it('any web page: a flood of refused upgrades writes at most a few log lines, with a count', async () => {
    const before = logged.filter((l) => l.startsWith('refused a websocket')).length;
    await Promise.all(Array.from({ length: 200 }, () => upgradeStatus(server.port, { Origin: 'http://evil.example' })));
    const lines = logged.filter((l) => l.startsWith('refused a websocket')).slice(before);
    expect(lines.length).toBeLessThanOrEqual(2);
  });
});

describe('caps', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT, maxSockets: 3 });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('a page that opens socket after socket: past the cap each one is closed at once with a reason, and a freed place is taken again', async () => {
    const open = await Promise.all([TestClient.open(server), TestClient.open(server), TestClient.open(server)]);
    const extra = await TestClient.open(server);
    expect(await extra.waitClosed()).toEqual({
      code: 1013,
      reason: 'Too many tutorial tabs are open (3); close one and this one reconnects.',
    });
    await open[0]?.close();
    await pollUntil(async () => {
      const again = await TestClient.open(server);
      await pollUntil(() => again.messages.length > 0 || again.closed, 'a greeting or a close');
      if (again.closed) return false;
      open.push(again);
      return true;
    }, 'a place for a new socket');
    for (const c of open) await c.close();
  });
});

describe('a server restart and the network', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('a tab keeps working across a server restart on the same state folder, and not on another one', async () => {
    const first = await startTestServer({ contentDir: CONTENT });
    cleanup.push(() => rmSync(first.stateDir, { recursive: true, force: true }));
    const { port, cookie, stateDir, workspace } = first;
    await first.close();
    const again = await startTestServer({ contentDir: CONTENT, port, stateDir, workspace });
    cleanup.push(() => again.close());
    expect(again.token).not.toBe(first.token);
    // The page's reconnect: it fetches its own HTML with the cookie, takes the new token, opens the socket.
    const html = (await get(port, '/chapters/hello-terminal/', { Cookie: cookie })).body;
    expect(html).toContain(`<meta name="tutorial-token" content="${again.token}"/>`);
    const client = await TestClient.open({ port, token: again.token, cookie });
    await client.attach('term-a');
    await client.close();
    await again.close();

    // Another state folder has another key: the old cookie is refused there.
    const elsewhere = await startTestServer({ contentDir: CONTENT, port });
    cleanup.push(() => elsewhere.dispose());
    expect((await get(port, '/chapters/hello-terminal/', { Cookie: cookie })).status).toBe(403);
  });

  it('the network with --host: a forged Host gets no shell, and our own Host without the cookie gets no token', async () => {
    const server = await startTestServer({ contentDir: CONTENT, host: '0.0.0.0' });
    cleanup.push(() => server.dispose());
    expect(server.hosts).not.toContain(`0.0.0.0:${server.port}`);
    const forged = { Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}`, Cookie: server.cookie };
    expect(await upgradeStatus(server.port, forged, `/ws?token=${server.token}`)).toBe(403);
    expect((await get(server.port, '/', { Host: `evil.example:${server.port}`, Cookie: server.cookie })).status).toBe(403);
    const ours = { Host: `127.0.0.1:${server.port}`, Origin: ownOrigin(server.port) };
    expect(await upgradeStatus(server.port, ours, `/ws?token=${server.token}`)).toBe(403);
    const page = await get(server.port, '/', { Host: ours.Host });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain(server.token);
  });

  it('a symbolic link inside the built site is not served, and a link loop does not stop the start', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'dist-'));
    cleanup.push(() => rmSync(dist, { recursive: true, force: true }));
    const secret = join(mkdtempSync(join(tmpdir(), 'secret-')), 'id_rsa');
    cleanup.push(() => rmSync(join(secret, '..'), { recursive: true, force: true }));
    writeFileSync(secret, 'PRIVATE KEY');
    mkdirSync(join(dist, '_astro'));
    writeFileSync(join(dist, 'index.html'), '<meta name="tutorial-token" content="__TUTORIAL_TOKEN__"/>');
    writeFileSync(join(dist, '_astro', 'app.js'), 'console.log(1)');
    symlinkSync(secret, join(dist, '_astro', 'key.js'));
    symlinkSync(join(secret, '..'), join(dist, 'outside'));
    symlinkSync('.', join(dist, 'loop'));
    symlinkSync('a', join(dist, 'b'));
    symlinkSync('b', join(dist, 'a'));
    const server = await startTestServer({ contentDir: CONTENT, distDir: dist });
    cleanup.push(() => server.dispose());
    const asSignedIn = { Cookie: server.cookie };
    expect((await get(server.port, '/_astro/app.js')).body).toBe('console.log(1)');
    for (const path of ['/_astro/key.js', '/outside/id_rsa', '/loop/_astro/app.js', '/loop/loop/index.html', '/a', '/b/x.js']) {
      const res = await get(server.port, path, asSignedIn);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('PRIVATE KEY');
    }
    expect((await get(server.port, '/', asSignedIn)).body).toContain(server.token);
  });
});

describe('npm start', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function start(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
    const state = mkdtempSync(join(tmpdir(), 'attack-cli-'));
    dirs.push(state);
    let out = '';
    const child = spawn(process.execPath, [builtProgram('start'), 'start', '--state', state, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, out: () => out, exited };
  }

  it('the network: a non-loopback --host without the acknowledgement flag does not start, and says which flag', async () => {
    const cli = start(['--port', '0', '--host', '0.0.0.0']);
    expect(await cli.exited).toBe(2);
    expect(cli.out()).toMatch(
      /^Listening on 0\.0\.0\.0 lets other machines reach a shell on this one, as \S+\. If that is what you want, say so: npm start -- --host 0\.0\.0\.0 --i-know-this-is-public\n$/,
    );
  });

  it('the network: with --i-know-this-is-public it starts, warns truly, and a page still needs the cookie', async () => {
    const cli = start(['--port', '0', '--host', '0.0.0.0', '--i-know-this-is-public']);
    const login = await pollUntil(
      () => /^ {4}(http:\/\/127\.0\.0\.1:\d+\/login\?key=[\w-]+)$/m.exec(cli.out())?.[1],
      () => `the login link in: ${cli.out()}`,
      120_000,
    );
    expect(cli.out()).toContain(
      'Listening on 0.0.0.0: other machines can reach this server. Whoever gets the login link gets a shell here as',
    );
    expect(cli.out()).toContain('the session cookie travels over the network in clear text (plain http)');
    expect(cli.out()).not.toContain('still need the token');
    const port = Number(new URL(login).port);
    const page = await get(port, '/chapters/hello-terminal/');
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('tutorial-token');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('a reset upgrade (repeated 50 times) against the real process: it keeps serving, and the learner’s shell lives on', async () => {
    const cli = start(['--port', '0']);
    const login = await pollUntil(
      () => /^ {4}(http:\/\/127\.0\.0\.1:\d+\/login\?key=[\w-]+)$/m.exec(cli.out())?.[1],
      () => `the login link in: ${cli.out()}`,
      120_000,
    );
    const port = Number(new URL(login).port);
    const cookie = await signIn(login);
    const html = (await get(port, '/chapters/hello-terminal/', { Cookie: cookie })).body;
    const token = /<meta name="tutorial-token" content="([^"]+)"/.exec(html)?.[1] as string;
    const client = await TestClient.open({ port, token, cookie });
    await client.attach('hello-terminal');
    const pid = Number((await client.run('echo "PID=$$"')).match(/PID=(\d+)/)?.[1]);
    for (let i = 0; i < 50; i++) await sendAndReset(port, upgradeRequest(port));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
    expect(alive(pid)).toBe(true);
    expect(await client.run('echo still-here')).toContain('still-here');
    await client.close();
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });
});
