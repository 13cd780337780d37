import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_FOLDER } from '../paths.ts';
import { diskFullMessage, ensurePrivateFolder, isDiskFull, UnsafeFolderError } from '../private-fs.ts';
import { SessionError, SessionLimitError } from './errors.ts';
import { endLeftovers } from './leftovers.ts';
import { TerminalSession } from './session.ts';
import type { ShellName } from './shell-choice.ts';

// The terminal room's errors and prompt states, for the rooms that use its sessions.
export { SessionError, ShellBusyError } from './errors.ts';
export type { CommandEnd, LineState } from './session.ts';

export interface SessionManagerOptions {
  /** The state folder, whose lock the caller holds (server/state-lock.ts); the shells' folders go in its shells/. */
  stateDir: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** Most shells at once. */
  maxSessions: number;
  /** A shell with no attached page ends after this many milliseconds. */
  idleGraceMs: number;
  /** Most bytes of earlier output each shell keeps for a reattach. */
  replayLimit: number;
  /** The shell of every terminal (default bash; server/terminal/shell-choice.ts chooses it). */
  shell?: ShellName;
}

const SHELLS_FOLDER = { what: 'shells folder (inside the state folder)' };

/**
 * The shells of one server, one per chapter. When it starts, it ends the shells (and their jobs)
 * that an earlier server on the same state folder left behind when it was killed, and removes
 * their folders (server/terminal/leftovers.ts).
 */
export class SessionManager {
  readonly #sessions = new Map<string, TerminalSession>();
  readonly #options: SessionManagerOptions;
  readonly #shellsDir: string;
  readonly #reaper: NodeJS.Timeout;
  readonly #startListeners = new Set<(name: string, session: TerminalSession) => void>();
  #closed = false;
  /** The pids of an earlier server's processes that were ended at the start. */
  readonly leftoversEnded: number[];

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#shellsDir = join(options.stateDir, 'shells');
    ensurePrivateFolder(this.#shellsDir, SHELLS_FOLDER);
    this.leftoversEnded = endLeftovers(this.#shellsDir);
    this.#reaper = setInterval(() => this.reapIdle(), Math.max(50, Math.min(10_000, options.idleGraceMs / 4)));
    this.#reaper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(name: string): TerminalSession | undefined {
    return this.#sessions.get(name);
  }

  all(): TerminalSession[] {
    return [...this.#sessions.values()];
  }

  /** The chapter's shell, started in the workspace when there is none (or the old one ended). */
  open(name: string, cols = 100, rows = 30): TerminalSession {
    if (this.#closed)
      throw new SessionError('server-closing', 'The tutorial server is shutting down. Start it again, then reload the page.');
    const existing = this.#sessions.get(name);
    if (existing && !existing.exited && !existing.closing) return existing;
    if (existing) {
      void existing.close();
      this.#sessions.delete(name);
    }
    if (this.#sessions.size >= this.#options.maxSessions) throw new SessionLimitError(this.#options.maxSessions);
    let session: TerminalSession;
    try {
      // Checked again before every shell, which runs files from these folders: a folder above
      // them that someone else was given write access to since the start is refused now.
      ensurePrivateFolder(this.#shellsDir, SHELLS_FOLDER);
      if (existsSync(this.#options.workspace)) ensurePrivateFolder(this.#options.workspace, WORKSPACE_FOLDER);
      session = new TerminalSession({
        name,
        cwd: this.#options.workspace,
        shellsDir: this.#shellsDir,
        env: this.#options.env,
        cols,
        rows,
        replayLimit: this.#options.replayLimit,
        ...(this.#options.shell ? { shell: this.#options.shell } : {}),
      });
    } catch (err) {
      if (err instanceof UnsafeFolderError) throw new SessionError('unsafe-folder', err.message);
      if (isDiskFull(err))
        throw new SessionError(
          'disk-full',
          diskFullMessage(this.#shellsDir, `a new terminal could not be started (its shell needs a few small files there)`),
        );
      throw err;
    }
    this.#sessions.set(name, session);
    for (const l of this.#startListeners) l(name, session);
    return session;
  }

  /** Hears every new shell (a chapter's first, or one after the last ended), before anything reads it. */
  onShellStart(listener: (name: string, session: TerminalSession) => void): { dispose(): void } {
    this.#startListeners.add(listener);
    return { dispose: () => this.#startListeners.delete(listener) };
  }

  /** Ends the chapter's shell and everything it started. */
  async end(name: string): Promise<void> {
    const s = this.#sessions.get(name);
    if (!s) return;
    this.#sessions.delete(name);
    await s.close();
  }

  /** Ends the shells that have had no page attached for longer than the grace period. */
  reapIdle(now = Date.now()): void {
    for (const [name, s] of this.#sessions) {
      if (s.detachedAt !== undefined && now - s.detachedAt >= this.#options.idleGraceMs) void this.end(name);
    }
  }

  /** Ends every shell (server shutdown); no new one starts afterwards. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  /** For process exit: SIGKILL to every shell's processes, synchronously. */
  closeAllSync(): void {
    this.#closed = true;
    for (const s of this.#sessions.values()) s.closeSync();
  }
}
