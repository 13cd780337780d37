import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIfNeeded } from '../../../server/cli/build.ts';
import { DIST_DIR, REPO_ROOT } from '../../../server/paths.ts';
import { builtProgram } from '../../helpers/cli.ts';
import { signIn } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

/** `npm start`'s program, as a child process, with its output collected. */
function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [builtProgram('start'), 'start', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { child, out: () => out, err: () => err };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'cli-test-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('the site build', () => {
  it('is a production build (with search) even when started from a test runner', async () => {
    // Vitest puts DEV=1, MODE=test and NODE_ENV=test into this process's environment.
    expect(process.env.VITEST).toBeTruthy();
    expect(await buildIfNeeded(true)).toBe(true);
    const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
    expect(html).not.toContain('Search is only available in production builds');
    expect(existsSync(join(DIST_DIR, 'pagefind', 'pagefind.js'))).toBe(true);
  });
});

describe('npm start', () => {
  it('prints the URL it serves, and on Ctrl-C stops with every shell it started', async () => {
    const cli = startCli(['--port', '0', '--state', scratch()]);
    cleanup.push(() => cli.child.kill('SIGKILL'));
    const url = await pollUntil(
      () => /ready at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.out())?.[1],
      () => `the URL line in: ${cli.out()}${cli.err()}`,
      120_000,
    );
    const health = (await (await fetch(`${url}healthz`)).json()) as { ok: boolean; version: string };
    expect(health).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });

    // The printed login link signs in; the page's token is in its HTML; a real client attaches
    // and starts a background job.
    const login = /^ {4}(http:\/\/127\.0\.0\.1:\d+\/login\?key=[\w-]+)$/m.exec(cli.out())?.[1];
    expect(login, cli.out()).toBeTruthy();
    const cookie = await signIn(login as string);
    const html = await (await fetch(`${url}chapters/hello-terminal/`, { headers: { Cookie: cookie } })).text();
    const token = /<meta name="tutorial-token" content="([^"]+)"/.exec(html)?.[1];
    expect(token).toBeTruthy();
    const port = Number(new URL(url).port);
    const client = await TestClient.open({ port, token: token as string, cookie });
    await client.attach('hello-terminal');
    client.input('sleep 1000 & echo "JOB=$!"\r');
    const pid = Number(/JOB=(\d+)/.exec(await client.waitForText(/JOB=\d+/))?.[1]);
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    cli.child.kill('SIGINT');
    expect(await exited(cli.child)).toBe(0);
    expect(cli.out()).toContain('Stopping (SIGINT)');
    await pollUntil(() => !existsSync(`/proc/${pid}`), `the background job ${pid} to end`);
  });

  it('names the busy port and the flag to change it, in one line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanup.push(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const cli = startCli([], { PORT: String(port), TUTORIAL_STATE_DIR: scratch() });
    expect(await exited(cli.child)).toBe(1);
    expect(cli.err().trim()).toBe(
      `Port ${port} on 127.0.0.1 is already in use. Start on another port with: npm start -- --port ${port + 1}`,
    );
  });

  it('on a Unix socket (workshop mode) prints no login link, serves pages without a cookie, and stops on SIGTERM', async () => {
    const socket = join(scratch(), 'run', 'tutorial.sock');
    const cli = startCli(['--socket', socket, '--state', scratch()]);
    cleanup.push(() => cli.child.kill('SIGKILL'));
    // The line after the ready line: each line is written on its own and may come in a later chunk.
    await pollUntil(
      () => cli.out().includes(`ready at unix:${socket}`) && cli.out().includes("Jupyter's login lets the learner in"),
      () => `the ready line in: ${cli.out()}${cli.err()}`,
      120_000,
    );
    expect(cli.out()).toContain("Jupyter's login lets the learner in (no login link here)");
    expect(cli.out()).not.toContain('login?key=');
    const { request } = await import('node:http');
    const page = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: socket, path: '/chapters/hello-terminal/', headers: { Host: 'hub.example.org' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<meta name="tutorial-token" content="[^"]+"/);
    cli.child.kill('SIGTERM');
    expect(await exited(cli.child)).toBe(0);
  });

  it('refuses --socket with --host or --port: a socket is no address', async () => {
    for (const extra of [
      ['--host', '0.0.0.0'],
      ['--port', '4000'],
    ]) {
      const cli = startCli(['--socket', join(scratch(), 'tutorial.sock'), ...extra]);
      expect(await exited(cli.child)).toBe(2);
      expect(cli.err()).toContain('--socket listens on a Unix socket instead of a port');
    }
  });

  it('refuses an unknown option with the usage', async () => {
    const cli = startCli(['--prot', '4000']);
    expect(await exited(cli.child)).toBe(2);
    expect(cli.err()).toContain("Unknown option '--prot'");
    expect(cli.err()).toContain('Usage: npm start --');
  });
});
