import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, REPO_ROOT, spawnTs, stopChild, until, waitForLine } from './proc.ts';

/**
 * The Node options `npm start` gives the server (package.json's start script:
 * `exec node OPTIONS build/server/start.js`), so the benchmarks run it with the same heap settings.
 */
export function startNodeOptions(root = REPO_ROOT): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /exec node ((?:--\S+ )*)build\/server\/start\.js/.exec(pkg.scripts.start ?? '');
  if (!m)
    throw new Error(
      `package.json's start script no longer runs "exec node ... build/server/start.js": update startNodeOptions in bench/lib/backends.ts.`,
    );
  return m[1]!.split(' ').filter(Boolean);
}

/** Shells of every backend keep no history: the benchmarks type many lines. */
export const SHELL_ENV: NodeJS.ProcessEnv = { ...process.env, HISTFILE: '/dev/null' };

export interface Backend {
  port: number;
  token: string;
  /** The session cookie (`name=value`) of a signed-in browser; empty for wetty, which has none. */
  cookie: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
  /** Asks the server to collect garbage (our server only) and waits for it. */
  gc?(): Promise<void>;
}

/** SIGUSR2 makes server-child run gc() and print GC-DONE. */
async function collect(child: ChildProcess): Promise<void> {
  const done = waitForLine(child, /^GC-DONE/, 10_000);
  child.kill('SIGUSR2');
  await done;
}

/** Our tutorial server (startTestServer) in a child process; `options` go to startTutorialServer. */
export async function startOurs(options: Record<string, unknown> = {}): Promise<Backend> {
  const child = spawnTs('bench/lib/server-child.ts', [], {
    nodeArgs: ['--expose-gc', ...startNodeOptions()],
    env: { ...SHELL_ENV, BENCH_SERVER_OPTIONS: JSON.stringify(options) },
  });
  const { line } = await waitForLine(child, /^READY /, 60_000);
  const info = JSON.parse(line.slice('READY '.length)) as { port: number; token: string; cookie: string; pid: number };
  child.stderr?.resume();
  return { ...info, child, stop: () => stopChild(child), gc: () => collect(child) };
}

/** wetty 3.2.0 (node_modules/wetty), serving `bash` at / on 127.0.0.1. */
export async function startWetty(): Promise<Backend> {
  // wetty's exports map hides package.json and its CLI: find it from the package's main entry.
  const require = createRequire(import.meta.url);
  const main = join(dirname(require.resolve('wetty')), 'main.js');
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), 'bench-wetty-'));
  const child = spawn(process.execPath, [main, '--port', String(port), '--host', '127.0.0.1', '--command', 'bash'], {
    cwd,
    env: SHELL_ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const req = get({ host: '127.0.0.1', port, path: '/' }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        });
        req.on('error', () => resolve(false));
      }),
    'wetty to answer',
    30_000,
    50,
  );
  return { port, token: '', cookie: '', pid: child.pid!, child, stop: () => stopChild(child) };
}
