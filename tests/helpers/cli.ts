import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../server/paths.ts';
import { pollUntil } from './net.ts';
import { signIn } from './server.ts';

let built = false;

/**
 * The built program `build/server/<name>.js` that `npm start` (or `npm run <name>`) runs, built
 * first by server/bundle.mjs when a source is newer, as npm's script does.
 */
export function builtProgram(name: 'start' | 'check' | 'tutorial' | 'teardown' | 'workshop'): string {
  if (!built) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'server', 'bundle.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Building the server (node server/bundle.mjs) failed: ${r.stderr}${r.stdout}`);
    built = true;
  }
  return join(REPO_ROOT, 'build', 'server', `${name}.js`);
}

/**
 * `npm start`'s program as a child process, the way a learner runs it: through npm
 * (`npm start -- ...`, which runs package.json's script) or as that script's own command line
 * (`node build/server/start.js start ...`). Its output is collected.
 */
export interface Cli {
  child: ChildProcess;
  out(): string;
  err(): string;
}

export function startCli(args: string[], o: { via?: 'npm' | 'node'; env?: NodeJS.ProcessEnv } = {}): Cli {
  const [file, argv] = o.via === 'npm' ? ['npm', ['start', '--', ...args]] : [process.execPath, [builtProgram('start'), 'start', ...args]];
  let out = '';
  let err = '';
  // detached: its own process group, so that a signal a test sends reaches that process alone,
  // as a process manager's would.
  const child = spawn(file, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { child, out: () => out, err: () => err };
}

/** Resolves with the exit status (or the signal's name) once the process has ended. */
export function exited(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? (child.signalCode as string));
    else child.once('exit', (code, signal) => resolve(code ?? (signal as string)));
  });
}

/** Waits for the "ready" line and signs in with the printed login link, as the README says. */
export async function connectCli(cli: Cli): Promise<{ url: string; port: number; token: string; cookie: string }> {
  const url = await pollUntil(
    () => /ready at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.out())?.[1],
    () => `the URL line in: ${cli.out()}${cli.err()}`,
    120_000,
  );
  const login = await pollUntil(() => /^ {4}(http:\/\/127\.0\.0\.1:\d+\/login\?\S+)$/m.exec(cli.out())?.[1], 'the login link');
  const cookie = await signIn(login);
  const html = await (await fetch(`${url}chapters/hello-terminal/`, { headers: { Cookie: cookie } })).text();
  const token = /<meta name="tutorial-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`No token in the page: ${html.slice(0, 300)}`);
  return { url, port: Number(new URL(url).port), token, cookie };
}

/** The pids of `pid`'s children (of any of its threads), from /proc; zombies too, until collected. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // It ended while we looked.
  }
  return out;
}

/** Every process whose session id is `sid` (not zombies: they have ended and only wait to be collected). */
export function sessionMembers(sid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[3]) === sid) pids.push(Number(name));
    } catch {
      // Ended while we looked.
    }
  }
  return pids;
}

/** `pid` and every process below it, from /proc. */
export function descendants(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i] as number));
  return all;
}

/** A command-line program's `main(args, out, err)`, as server/cli/support.ts runs it. */
export type CliMain = (args: string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>;

/** Runs a program's `main` in this process; resolves with its exit status and what it wrote. */
export async function runMain(main: CliMain, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    args,
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  return { code, out, err };
}
