import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../server/paths.ts';
import { pollUntil } from '../../tests/helpers/net.ts';

export { freePort } from '../../tests/helpers/net.ts';
export { REPO_ROOT };

/** Resident set size of a process in bytes (VmRSS), or NaN once it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Every descendant of `pid` (children, their children, ...). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      // Gone while we looked.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent)
      if (pp === p) {
        out.push(c);
        walk(c);
      }
  };
  walk(pid);
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `f` until it is truthy; throws after `timeoutMs` (every 5 ms: the bench times what it waits for). */
export function until<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
  everyMs = 5,
): Promise<T> {
  return pollUntil(f, what, timeoutMs, everyMs);
}

/** Node with tsx's loader: runs a TypeScript file in a child process on the same Node as the bench. */
export function spawnTs(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; nodeArgs?: string[] } = {},
): ChildProcess {
  return spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', join(REPO_ROOT, file), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Resolves with the first line of the child's stdout that matches, with its time (performance.now()). */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<{ line: string; at: number }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const t = setTimeout(
      () => fail(new Error(`No line matching ${pattern} within ${timeoutMs} ms. stderr: ${err.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      const at = performance.now();
      buf += d.toString('utf8');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (pattern.test(line)) {
          cleanup();
          resolve({ line, at });
          return;
        }
        i = buf.indexOf('\n');
      }
    };
    const onErr = (d: Buffer) => {
      err += d.toString('utf8');
    };
    const onExit = (code: number | null) =>
      fail(new Error(`The child exited (${code}) before printing ${pattern}. stderr: ${err.slice(-2000)}`));
    const cleanup = () => {
      clearTimeout(t);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    const fail = (e: Error) => {
      cleanup();
      reject(e);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Ends a child we started (SIGTERM, then SIGKILL) and waits for it. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
