import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressSummarySchema } from '../../../server/web/progress-api.ts';
import { pollUntil } from '../../helpers/net.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');

/** One HTTP request over the Unix socket; resolves with the status (101 for an upgrade). */
function overSocket(socketPath: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const upgrade = (host: string, origin?: string) => ({
  Host: host,
  ...(origin ? { Origin: origin } : {}),
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
});

// Workshop mode: jupyter-server-proxy reaches the server on a Unix socket and forwards the
// browser's own Host (the hub's public name) and Origin.
describe('behind jupyter-server-proxy: listening on a Unix socket (--socket)', () => {
  let dir: string;
  let socket: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tutorial-socket-'));
    socket = join(dir, 'socket');
    server = await startTestServer({ contentDir: CONTENT, socket });
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the socket readable and writable by its owner only', () => {
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
  });

  it("serves pages for the hub's public name, which it cannot know in advance", async () => {
    const page = await overSocket(socket, '/', { Host: 'hub.example.org' });
    expect(page.status).toBe(200);
    expect(page.body).toContain(server.token);
  });

  it('accepts the websocket of its own page, whatever the Host, with the token', async () => {
    const ws = `/ws?token=${encodeURIComponent(server.token)}`;
    expect((await overSocket(socket, ws, upgrade('hub.example.org', 'https://hub.example.org'))).status).toBe(101);
    expect((await overSocket(socket, ws, upgrade('127.0.0.1:8000', 'http://127.0.0.1:8000'))).status).toBe(101);
  });

  it.each([
    ['an Origin that is not the Host it came through (another site)', 'http://evil.example'],
    ['no Origin', undefined],
    ['the "null" Origin', 'null'],
  ])('refuses an upgrade with %s', async (_what, origin) => {
    const ws = `/ws?token=${encodeURIComponent(server.token)}`;
    expect((await overSocket(socket, ws, upgrade('hub.example.org', origin))).status).toBe(403);
  });

  it('has no login link and no session cookie: Jupyter has signed the learner in', async () => {
    expect(server.cookie).toBe('');
    const login = await overSocket(socket, '/login?key=anything', { Host: 'hub.example.org' });
    expect(login.status).toBe(404);
    expect(login.body).not.toContain('Set-Cookie');
  });

  it("answers GET /api/progress with each chapter's steps and the ones passed (none yet)", async () => {
    const r = await overSocket(socket, '/api/progress', { Host: 'hub.example.org' });
    expect(r.status).toBe(200);
    const summary = ProgressSummarySchema.parse(JSON.parse(r.body));
    expect(summary.chapters.length).toBeGreaterThan(0);
    for (const c of summary.chapters) {
      expect(c.steps).toBeGreaterThan(0);
      expect(c.passed).toEqual([]);
    }
  });

  it('still refuses an upgrade without the token of its page', async () => {
    const r = await overSocket(socket, '/ws?token=wrong', upgrade('hub.example.org', 'https://hub.example.org'));
    expect(r.status).toBe(403);
  });
});

describe("the socket's folder (threat: another user of the machine reaching the socket)", () => {
  it.each([
    ['others may enter', 0o711, /can be entered by every user/],
    ['its group may enter', 0o750, /can be entered by its group/],
    ['others may write', 0o777, /can be written by every user/],
  ])('is refused when %s', async (_what, mode, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'tutorial-socket-'));
    try {
      chmodSync(dir, mode);
      await expect(startTestServer({ contentDir: CONTENT, socket: join(dir, 'socket') })).rejects.toThrow(message);
      expect(existsSync(join(dir, 'socket'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is made private when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutorial-socket-'));
    const socket = join(dir, 'made', 'socket');
    try {
      const server = await startTestServer({ contentDir: CONTENT, socket });
      try {
        expect(statSync(join(dir, 'made')).mode & 0o777).toBe(0o700);
      } finally {
        await server.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('on a port (the local case)', () => {
  it('has no /api/progress: only workshop mode serves it', async () => {
    const server = await startTestServer({ contentDir: CONTENT });
    try {
      // The signed-in browser gets the 404 page; anyone else the page that says how to get in.
      const res = await fetch(`http://127.0.0.1:${server.port}/api/progress`, { headers: { Cookie: server.cookie } });
      expect(res.status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/api/progress`)).status).toBe(403);
    } finally {
      await server.dispose();
    }
  });
});

describe('a socket left behind by a crashed server', () => {
  it('is replaced when nothing answers on it, and kept when a server does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutorial-socket-'));
    const socket = join(dir, 'socket');
    try {
      // A process that listens there and is killed: SIGKILL leaves the socket file behind.
      const crashed = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)})`]);
      await pollUntil(() => existsSync(socket), 'the crashed server to listen');
      const gone = new Promise((r) => crashed.once('exit', r));
      crashed.kill('SIGKILL');
      await gone;
      expect(statSync(socket).isSocket()).toBe(true);
      const server = await startTestServer({ contentDir: CONTENT, socket });
      try {
        expect((await overSocket(socket, '/healthz', { Host: 'x' })).status).toBe(200);
        await expect(startTestServer({ contentDir: CONTENT, socket })).rejects.toMatchObject({ code: 'EADDRINUSE' });
        expect((await overSocket(socket, '/healthz', { Host: 'x' })).status).toBe(200);
      } finally {
        await server.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
