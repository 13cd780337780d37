import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, realpathSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as z from 'zod';
import { type ProgressSnapshot, type StepProgress, StepProgressSchema } from '../../protocol/messages.ts';
import { defaultWorkspace, STATE_FOLDER } from '../paths.ts';
import { ensurePrivateFolder, readFileNoFollow, shellArg, writeFileAtomic } from '../private-fs.ts';
import { errorCode } from '../words.ts';

/**
 * The format version of progress.json; a file of an unknown version is set aside, not misread.
 * Version 1 kept one set of chapters for whatever workspace the server used; it is read as the
 * progress of the state folder's default workspace.
 */
export const PROGRESS_VERSION = 2;

/** One step's stored progress: what the page sees, plus the content hash it was reached with. */
export const StoredStepSchema = StepProgressSchema.extend({
  /** The step's content hash when this progress was recorded (server/tutorial/content.ts). */
  contentHash: z.string(),
});
export type StoredStep = z.output<typeof StoredStepSchema>;

/** Every chapter's stored steps: chapter id → step id → StoredStep. */
const ChaptersSchema = z.record(z.string(), z.record(z.string(), StoredStepSchema));

/**
 * The file: `{ version: 2, workspaces: { <workspace's real path>: { chapters: { <chapter>: { <step>:
 * StoredStep } } } } }`. Progress belongs to the workspace it was made in, so one state folder serves
 * several workspaces (`npm start -- --workspace DIR`) without one showing another's progress.
 */
export const ProgressFileSchema = z.object({
  version: z.literal(PROGRESS_VERSION),
  workspaces: z.record(z.string(), z.object({ chapters: ChaptersSchema })),
});
export type ProgressFile = z.output<typeof ProgressFileSchema>;

/** The file of version 1, which is migrated when it is read. */
const ProgressFileV1Schema = z.object({ version: z.literal(1), chapters: ChaptersSchema });

/** The file name inside the state folder. */
export const PROGRESS_FILE = 'progress.json';

/** Progress that could not be written to disk; the message says why and what to do. */
export class ProgressNotSavedError extends Error {
  readonly code = 'progress-not-saved';
  constructor(file: string, cause: unknown) {
    const dir = shellArg(dirname(file));
    const code = errorCode(cause);
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    const why =
      code === 'ENOSPC'
        ? 'the disk it is on is full'
        : code === 'EDQUOT'
          ? 'your disk quota there is used up'
          : code === 'EROFS'
            ? 'the disk it is on is read-only'
            : code === 'EACCES' || code === 'EPERM'
              ? 'the server is not allowed to write there'
              : `writing it failed (${(cause as Error).message})`;
    const fix = full
      ? `Free some space there (\`df -h ${dir}\` shows how much is left)`
      : `See what is wrong with the folder (\`ls -ld ${dir}\`)`;
    super(
      `Your progress could not be saved in ${file} because ${why}. ${fix}, then check the step again; until then the server keeps your progress only while it runs.`,
      { cause },
    );
    this.name = 'ProgressNotSavedError';
  }
}

/**
 * The key of a workspace in the file: its real path, so that a symlink, a relative path or a
 * trailing slash names the same folder. A folder that does not exist (yet) is keyed by its
 * absolute path.
 */
export function workspaceKey(workspace: string): string {
  try {
    return realpathSync(workspace);
  } catch {
    return resolve(workspace);
  }
}

/**
 * The learner's progress in one workspace, kept in `<stateDir>/progress.json` beside the progress
 * of other workspaces. Reads once when opened, keeps the data in memory and writes the file after
 * each change, one write at a time; each write keeps what the file holds for other workspaces.
 */
export class ProgressStore {
  /** The progress file. */
  readonly file: string;
  /** The workspace this progress belongs to (its key in the file). */
  readonly workspace: string;
  private data: ProgressFile;
  private queue: Promise<void> = Promise.resolve();
  /** The file as this store last read or wrote it; anything else on disk was changed by someone else. */
  private seen: FileIdentity | undefined;
  private readonly warn: (message: string) => void;

  private constructor(file: string, workspace: string, data: ProgressFile, warn: (message: string) => void) {
    this.file = file;
    this.workspace = workspace;
    this.data = data;
    this.warn = warn;
    this.data.workspaces[workspace] ??= { chapters: {} };
    this.seen = identityOf(file);
  }

  /** This workspace's chapters. */
  private get chapters(): ProgressFile['workspaces'][string]['chapters'] {
    return this.data.workspaces[this.workspace]!.chapters;
  }

  /**
   * Opens the store of `workspace` (by default the state folder's default workspace) in a state
   * folder (created if needed). A file of version 1 is read as the default workspace's progress. A
   * corrupt, unreadable or foreign file is renamed to `progress.json.corrupt-<time>` with a warning,
   * and the store starts empty.
   */
  static open(
    stateDir: string,
    warn: (message: string) => void = (m) => console.warn(m),
    workspace: string = defaultWorkspaceOf(stateDir),
  ): ProgressStore {
    ensurePrivateFolder(stateDir, STATE_FOLDER);
    const file = join(stateDir, PROGRESS_FILE);
    const key = workspaceKey(workspace);
    const read = readProgressFile(file, stateDir);
    const data = read.ok ? read.data : read.missing ? emptyFile() : setAside(file, read.why, warn, read.salvage);
    return new ProgressStore(file, key, data, warn);
  }

  /**
   * Progress of every stored step as the page shows it. `hashes` are the current content hashes
   * (chapter → step → hash): a step reached with other content is reported as `stale`.
   */
  snapshot(hashes: Record<string, Record<string, string>> = {}): ProgressSnapshot {
    const out: ProgressSnapshot = {};
    for (const [chapter, steps] of Object.entries(this.chapters)) {
      out[chapter] = {};
      for (const [step, stored] of Object.entries(steps)) {
        const { contentHash, ...progress } = stored;
        const current = hashes[chapter]?.[step];
        const stale = current !== undefined && current !== contentHash && progress.state !== 'not-started';
        out[chapter][step] = stale ? { ...progress, state: 'stale' } : progress;
      }
    }
    return out;
  }

  /** Records a step's progress (with `at` set to now when missing) and writes the file. */
  set(chapter: string, step: string, progress: StepProgress, contentHash: string): Promise<void> {
    this.chapters[chapter] ??= {};
    this.chapters[chapter][step] = { ...progress, at: progress.at ?? new Date().toISOString(), contentHash };
    return this.save();
  }

  /** Forgets every step of a chapter and writes the file. */
  resetChapter(chapter: string): Promise<void> {
    delete this.chapters[chapter];
    return this.save();
  }

  /** Resolves when every write asked for so far is on disk. */
  flush(): Promise<void> {
    return this.queue;
  }

  /**
   * Queues a write of the current data; writes never overlap, and each writes the latest data.
   * What the file holds for other workspaces (another server on the same state folder) is read
   * again just before, and kept.
   */
  private save(): Promise<void> {
    const next = this.queue.then(() => {
      // Changed since this store last read or wrote it (another server on the same state folder,
      // an editor, a damaged disk): read again. What is readable is kept; a damaged file is set
      // aside (never overwritten), and what this store knew of the other workspaces stays.
      if (!sameFile(this.file, identityOf(this.file), this.seen)) {
        const onDisk = readProgressFile(this.file, undefined);
        if (onDisk.ok)
          this.data.workspaces = { ...this.data.workspaces, ...onDisk.data.workspaces, [this.workspace]: { chapters: this.chapters } };
        else if (!onDisk.missing) {
          const salvaged = setAside(
            this.file,
            `${onDisk.why} (it was changed while the server ran)`,
            this.warn,
            onDisk.salvage,
            'the progress this server had of every workspace is written anew',
          );
          this.data.workspaces = { ...this.data.workspaces, ...salvaged.workspaces, [this.workspace]: { chapters: this.chapters } };
        }
      }
      const data: ProgressFile = { version: PROGRESS_VERSION, workspaces: this.data.workspaces };
      const text = `${JSON.stringify(data, null, 2)}\n`;
      try {
        writeFileAtomic(this.file, text);
      } catch (err) {
        throw new ProgressNotSavedError(this.file, err);
      }
      this.seen = identityOf(this.file, text);
    });
    // A failed write must not block the ones after it; the caller of this one still sees the error.
    this.queue = next.catch(() => {});
    return next;
  }
}

/** The workspace that progress of version 1 (and a store opened without a workspace) belongs to. */
/**
 * The latest attempt of a step recorded for a workspace (its marker and start), read from the
 * state folder's progress.json without changing anything; undefined when none is recorded.
 */
export function recordedAttempt(
  stateDir: string,
  workspace: string,
  chapter: string,
  step: string,
): { marker: string; startedAt?: number } | undefined {
  const read = readProgressFile(join(stateDir, PROGRESS_FILE), stateDir);
  if (!read.ok) return undefined;
  const stored = read.data.workspaces[workspaceKey(workspace)]?.chapters[chapter]?.[step];
  return stored?.marker ? { marker: stored.marker, startedAt: stored.startedAt } : undefined;
}

function defaultWorkspaceOf(stateDir: string): string {
  return defaultWorkspace({ ...process.env, TUTORIAL_STATE_DIR: stateDir });
}

function emptyFile(): ProgressFile {
  return { version: PROGRESS_VERSION, workspaces: {} };
}

type ReadResult = { ok: true; data: ProgressFile } | { ok: false; missing: boolean; why: string; salvage?: ProgressFile };

/** What tells one version of the file from another: its inode, size and time, then a hash of its bytes. */
interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** sha256 of the bytes; computed only when the rest differs (a touch with the same bytes is no change). */
  hash?: string;
}

function identityOf(file: string, text?: string): FileIdentity | undefined {
  try {
    const st = lstatSync(file);
    return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ...(text === undefined ? {} : { hash: sha256(text) }) };
  } catch {
    return undefined;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** True when `now` is the file as `seen` (its stat, or else its bytes) was. */
function sameFile(file: string, now: FileIdentity | undefined, seen: FileIdentity | undefined): boolean {
  if (!now || !seen) return now === seen;
  if (now.dev === seen.dev && now.ino === seen.ino && now.size === seen.size && now.mtimeMs === seen.mtimeMs) return true;
  if (seen.hash === undefined) return false;
  try {
    return sha256(readFileNoFollow(file)) === seen.hash;
  } catch {
    return false;
  }
}

/**
 * Removes the temp files of progress writes that never finished (a server killed with SIGKILL
 * between creating its temp file and renaming it: server/private-fs.ts writeFileAtomic). Called by
 * whoever holds the state folder's lock (server/state-lock.ts), so no other writer is at work.
 */
export function removeLeftoverTemps(stateDir: string, warn: (message: string) => void): void {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\.progress\.json\.[0-9a-f]+\.tmp$/.test(name)) continue;
    try {
      unlinkSync(join(stateDir, name));
    } catch (err) {
      warn(`A leftover temp file ${join(stateDir, name)} could not be removed (${(err as Error).message}); remove it by hand.`);
    }
  }
}

/**
 * Reads and validates the file. Version 1 is migrated when `stateDir` is given: its chapters
 * become the progress of the state folder's default workspace.
 */
function readProgressFile(file: string, stateDir: string | undefined): ReadResult {
  let text: string;
  try {
    // A link in its place is not followed: it is set aside like any unreadable file.
    text = readFileNoFollow(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, missing: false, why: 'it is a symbolic link, which the tutorial does not follow' };
    return { ok: false, missing: code === 'ENOENT', why: `it cannot be read (${(err as Error).message})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, missing: false, why: `it is not valid JSON (${(err as Error).message})` };
  }
  const r = ProgressFileSchema.safeParse(parsed);
  if (r.success) return { ok: true, data: r.data };
  const old = ProgressFileV1Schema.safeParse(parsed);
  if (old.success && stateDir !== undefined) {
    return {
      ok: true,
      data: { version: PROGRESS_VERSION, workspaces: { [workspaceKey(defaultWorkspaceOf(stateDir))]: { chapters: old.data.chapters } } },
    };
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  const why =
    version !== PROGRESS_VERSION && version !== 1
      ? `its format version is ${JSON.stringify(version)}, not ${PROGRESS_VERSION}`
      : 'its content is not valid';
  return { ok: false, missing: false, why, salvage: salvage(parsed) };
}

/** The workspaces of a version-2 file whose progress is still valid, each on its own. */
function salvage(parsed: unknown): ProgressFile | undefined {
  const workspaces = (parsed as { version?: unknown; workspaces?: unknown } | null)?.workspaces;
  if ((parsed as { version?: unknown }).version !== PROGRESS_VERSION || typeof workspaces !== 'object' || workspaces === null)
    return undefined;
  const out = emptyFile();
  for (const [key, value] of Object.entries(workspaces)) {
    const r = z.object({ chapters: ChaptersSchema }).safeParse(value);
    if (r.success) out.workspaces[key] = r.data;
  }
  return Object.keys(out.workspaces).length ? out : undefined;
}

function setAside(
  file: string,
  why: string,
  warn: (message: string) => void,
  salvaged: ProgressFile | undefined,
  otherwise = 'progress starts fresh',
): ProgressFile {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const n = salvaged ? Object.keys(salvaged.workspaces).length : 0;
  const kept = salvaged ? `the progress of ${n} workspace${n === 1 ? '' : 's'} that was still readable in it is kept` : otherwise;
  try {
    renameSync(file, aside);
    warn(`Your progress file ${file} was set aside as ${aside} because ${why}; ${kept}.`);
  } catch (err) {
    warn(`Your progress file ${file} is ignored because ${why}, and it could not be set aside (${(err as Error).message}); ${kept}.`);
  }
  return salvaged ?? emptyFile();
}
