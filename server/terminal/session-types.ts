/** What a terminal session is made with and talks to: its options, its sink, how its shell ended. */
import type { ShellName } from './shell-choice.ts';

/** How a shell ended, as node-pty reports it (a shell ended by SIGHUP has exitCode 0 and signal 1). */
export interface ShellExit {
  exitCode: number;
  signal?: number;
}

/** Where a session's output goes: the attached websocket, or the headless runner. */
export interface SessionSink {
  /** Terminal output, UTF-8 bytes of whole characters. The sink acknowledges it later with `session.ack(bytes)`. */
  output(data: Buffer): void;
  /** The shell ended; its last output has been given to `output` before this. */
  exited(e: ShellExit): void;
  /** Another sink took the session over, or the session ended. */
  detached(reason: 'replaced' | 'ended'): void;
  /** The sink that took the session from this one has let it go (its tab closed): this one may take it back. */
  free?(): void;
}

export interface SessionOptions {
  /** The chapter this shell belongs to; also names its integration folder. */
  name: string;
  cwd: string;
  /** The private folder where each shell gets its integration folder (server/terminal/session-manager.ts). */
  shellsDir: string;
  env: NodeJS.ProcessEnv;
  cols: number;
  rows: number;
  /** Most bytes (UTF-8) of earlier output kept for a reattach. */
  replayLimit: number;
  /** The shell to start (default bash); server/terminal/shell-choice.ts chooses it. */
  shell?: ShellName;
}
