import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { createFileExclusive, readFileNoFollow, writeFileAtomic } from './private-fs.ts';
import { processIdentity, stillRunning } from './processes.ts';

/** The lock file's name inside the state folder. */
export const LOCK_FILE = 'server.lock';

/** What the lock file says: which process holds it and, once it listens, where. */
const LockInfoSchema = z.object({
  pid: z.number().int(),
  /** The holder's start time and boot (server/processes.ts), so a reused pid is not taken for it. */
  start: z.string(),
  boot: z.string(),
  /** The address the holder serves, once it listens (a `verify` run serves none). */
  url: z.string().optional(),
});
type LockInfo = z.output<typeof LockInfoSchema>;

/** Another process holds the state folder; the message names it and what to do. */
export class StateLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateLockedError';
  }
}

/**
 * The state folder's lock: one process at a time keeps progress and shells there. Two servers on
 * one folder would each write progress.json from their own memory (the last write wins, the
 * other's progress is lost), and each would take the other's shells for leftovers of a crash.
 * The lock is a file created exclusively with the holder's pid; a lock whose process has ended
 * (a crash, SIGKILL) is stale and is taken over.
 */
export class StateLock {
  readonly file: string;
  #info: LockInfo;
  #released = false;
  readonly #onExit = () => this.release();

  private constructor(file: string, info: LockInfo) {
    this.file = file;
    this.#info = info;
    process.on('exit', this.#onExit);
  }

  /** Takes the lock of `stateDir` (an existing private folder), or throws StateLockedError. */
  static acquire(stateDir: string): StateLock {
    const file = join(stateDir, LOCK_FILE);
    const me = processIdentity(process.pid) ?? { pid: process.pid, start: '', boot: '' };
    const info: LockInfo = { pid: me.pid, start: me.start, boot: me.boot };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        createFileExclusive(file, `${JSON.stringify(info)}\n`);
        return new StateLock(file, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = readOrUndefined(file);
      if (text === undefined) continue;
      const holder = parse(text);
      if (holder && stillRunning(holder)) throw new StateLockedError(lockedMessage(stateDir, holder));
      // Stale: its process has ended. Remove it, unless it changed since it was read (another
      // process starting at the same moment took it over first), then try again.
      if (readOrUndefined(file) === text) removeQuietly(file);
    }
    throw new StateLockedError(
      `The state folder ${stateDir} is being taken by another tutorial process at this very moment. Start this one again in a moment, or use another state folder with --state DIR.`,
    );
  }

  /** Records the address this server serves, for the message a second one prints. */
  describe(url: string): void {
    if (this.#released) return;
    this.#info = { ...this.#info, url };
    writeFileAtomic(this.file, `${JSON.stringify(this.#info)}\n`);
  }

  /** Gives the lock up (when the server closes, or the process exits). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    process.off('exit', this.#onExit);
    const holder = parse(readOrUndefined(this.file) ?? '');
    if (holder?.pid === this.#info.pid && holder.start === this.#info.start) removeQuietly(this.file);
  }
}

function lockedMessage(stateDir: string, holder: LockInfo): string {
  const who = holder.pid === process.pid ? 'this same process' : `pid ${holder.pid}`;
  const where = holder.url
    ? `Another tutorial server (${who}) is using the state folder ${stateDir}; it serves ${holder.url}. Open that address instead`
    : `Another tutorial process (${who}; a server that is starting, or \`npm run tutorial -- verify\`) is using the state folder ${stateDir}. Wait for it to end`;
  return `${where}, or stop it first (\`kill ${holder.pid}\`), or give this one another state folder with --state DIR. Two servers on one state folder would lose each other's progress.`;
}

function parse(text: string): LockInfo | undefined {
  try {
    const r = LockInfoSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** The lock's text; undefined when it is gone. A link or anything unreadable is read as '' (stale). */
function readOrUndefined(file: string): string | undefined {
  try {
    return readFileNoFollow(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : '';
  }
}

function removeQuietly(file: string): void {
  try {
    // unlink removes a link itself, never what it points to.
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}
