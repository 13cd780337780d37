import { readdirSync, readFileSync } from 'node:fs';
import * as nodePty from 'node-pty';
import { PsSessionTracker, psRows } from './ps-session.ts';

/**
 * The only module that imports node-pty: a shell in a pseudo-terminal, and the one way to end
 * it together with everything it started.
 */

export interface Disposable {
  dispose(): void;
}

export interface ShellOptions {
  /** The program to run, e.g. "bash". */
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  cols: number;
  rows: number;
}

export interface Shell {
  readonly pid: number;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Stops reading from the pty (the shell blocks on a full pty buffer): flow control. */
  pause(): void;
  resume(): void;
  onData(listener: (data: string) => void): Disposable;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): Disposable;
}

/** Starts a shell in a new pty. node-pty's forkpty makes the shell a session leader (setsid). */
export function spawnShell(options: ShellOptions): Shell {
  const p = nodePty.spawn(options.file, options.args, {
    name: 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd,
    env: options.env as Record<string, string>,
    // Default utf8 decoding is streaming: a character split across two reads stays whole.
    encoding: 'utf8',
  });
  return {
    pid: p.pid,
    write: (data) => p.write(data),
    resize: (cols, rows) => p.resize(cols, rows),
    pause: () => p.pause(),
    resume: () => p.resume(),
    onData: (listener) => p.onData(listener),
    onExit: (listener) => p.onExit(({ exitCode, signal }) => listener(signal ? { exitCode, signal } : { exitCode })),
  };
}

/**
 * Every process in the session `sid` (the shell's pid): job control puts each background job in
 * a process group of its own, and `nohup` ignores SIGHUP, so neither the shell's group nor SIGHUP
 * reaches them all. The session id does.
 */
export function processesInSession(sid: number): number[] {
  return sessionFinder(sid)();
}

/**
 * Lists the session's processes each time it is called: from /proc, or where there is none
 * (macOS) from `ps`, following the session from round to round (server/terminal/ps-session.ts).
 */
function sessionFinder(sid: number): () => number[] {
  try {
    // Linux's /proc, with its stat format (FreeBSD's procfs, where mounted, has another).
    readFileSync('/proc/self/stat');
    return () => processesInSessionProc(sid);
  } catch {
    const tracker = new PsSessionTracker(sid);
    return () => tracker.members(psRows());
  }
}

function processesInSessionProc(sid: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie has ended already; it only waits for its parent to collect it.
      if (fields[0] !== 'Z' && Number(fields[3]) === sid) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Ends a shell and everything it started: SIGHUP to the shell (it passes it on to its jobs, as
 * when a terminal window closes), then, after `graceMs`, SIGKILL to every process still in its
 * session. Resolves when none is left.
 */
export async function killSessionTree(sid: number, graceMs = 300): Promise<void> {
  // Found while the shell still runs: without /proc, that is what tells its session apart.
  const members = sessionFinder(sid);
  const first = members();
  signal(sid, 'SIGHUP');
  for (const pid of first) if (pid !== sid) signal(pid, 'SIGHUP');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && members().length > 0) {
    await new Promise((r) => setTimeout(r, 25));
  }
  for (let i = 0; i < 40; i++) {
    const left = members();
    if (left.length === 0) return;
    for (const pid of left) signal(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Synchronous last resort for process exit: SIGKILL to every process of each session. */
export function killSessionTreeSync(sid: number): void {
  for (const pid of processesInSession(sid)) signal(pid, 'SIGKILL');
  signal(sid, 'SIGKILL');
}
