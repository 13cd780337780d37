import { renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { type ProgressSnapshot, type StepProgress, StepProgressSchema } from '../../protocol/messages.ts';
import { STATE_FOLDER } from '../paths.ts';
import { ensurePrivateFolder, readFileNoFollow, shellArg, writeFileAtomic } from '../private-fs.ts';
import { errorCode } from '../words.ts';

/** The format version of progress.json; a file of another version is set aside, not misread. */
export const PROGRESS_VERSION = 1;

/** One step's stored progress: what the page sees, plus the content hash it was reached with. */
export const StoredStepSchema = StepProgressSchema.extend({
  /** The step's content hash when this progress was recorded (server/tutorial/content.ts). */
  contentHash: z.string(),
});
export type StoredStep = z.output<typeof StoredStepSchema>;

/** The file: `{ version: 1, chapters: { <chapter>: { <step>: StoredStep } } }`. */
export const ProgressFileSchema = z.object({
  version: z.literal(PROGRESS_VERSION),
  chapters: z.record(z.string(), z.record(z.string(), StoredStepSchema)),
});
export type ProgressFile = z.output<typeof ProgressFileSchema>;

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
 * The learner's progress, kept in `<stateDir>/progress.json`. Reads once when opened, keeps the
 * data in memory and writes the whole file after each change, one write at a time, each through
 * a temp file with a random name (server/private-fs.ts writeFileAtomic).
 */
export class ProgressStore {
  /** The progress file. */
  readonly file: string;
  private data: ProgressFile;
  private queue: Promise<void> = Promise.resolve();

  private constructor(file: string, data: ProgressFile) {
    this.file = file;
    this.data = data;
  }

  /**
   * Opens the store in a state folder (created private if needed, refused when it is not private:
   * server/private-fs.ts). A corrupt, unreadable or foreign file, or a link in its place, is renamed to `progress.json.corrupt-<time>` with a warning, and the store starts empty.
   */
  static open(stateDir: string, warn: (message: string) => void = (m) => console.warn(m)): ProgressStore {
    ensurePrivateFolder(stateDir, STATE_FOLDER);
    const file = join(stateDir, PROGRESS_FILE);
    let text: string | undefined;
    try {
      // A link in its place is not followed: it is set aside like any unreadable file.
      text = readFileNoFollow(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return new ProgressStore(file, { version: PROGRESS_VERSION, chapters: {} });
      if (code === 'ELOOP')
        return new ProgressStore(file, setAside(file, 'it is a symbolic link, which the tutorial does not follow', warn));
      return new ProgressStore(file, setAside(file, `it cannot be read (${(err as Error).message})`, warn));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return new ProgressStore(file, setAside(file, `it is not valid JSON (${(err as Error).message})`, warn));
    }
    const r = ProgressFileSchema.safeParse(parsed);
    if (!r.success) {
      const version = (parsed as { version?: unknown } | null)?.version;
      const why =
        version !== PROGRESS_VERSION
          ? `its format version is ${JSON.stringify(version)}, not ${PROGRESS_VERSION}`
          : 'its content is not valid';
      return new ProgressStore(file, setAside(file, why, warn));
    }
    return new ProgressStore(file, r.data);
  }

  /**
   * Progress of every stored step as the page shows it. `hashes` are the current content hashes
   * (chapter → step → hash): a step reached with other content is reported as `stale`.
   */
  snapshot(hashes: Record<string, Record<string, string>> = {}): ProgressSnapshot {
    const out: ProgressSnapshot = {};
    for (const [chapter, steps] of Object.entries(this.data.chapters)) {
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
    this.data.chapters[chapter] ??= {};
    this.data.chapters[chapter][step] = { ...progress, at: progress.at ?? new Date().toISOString(), contentHash };
    return this.save();
  }

  /** Forgets every step of a chapter and writes the file. */
  resetChapter(chapter: string): Promise<void> {
    delete this.data.chapters[chapter];
    return this.save();
  }

  /** Resolves when every write asked for so far is on disk. */
  flush(): Promise<void> {
    return this.queue;
  }

  /**
   * Queues a write of the current data; writes never overlap, and each writes the latest data. A
   * failed write (a full disk) rejects with ProgressNotSavedError; the data stays in memory and
   * the next write that succeeds stores it.
   */
  private save(): Promise<void> {
    const next = this.queue.then(() => {
      try {
        writeFileAtomic(this.file, `${JSON.stringify(this.data, null, 2)}\n`);
      } catch (err) {
        throw new ProgressNotSavedError(this.file, err);
      }
    });
    // A failed write must not block the ones after it; the caller of this one still sees the error.
    this.queue = next.catch(() => {});
    return next;
  }
}

function setAside(file: string, why: string, warn: (message: string) => void): ProgressFile {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, aside);
    warn(`Your progress file ${file} was set aside as ${aside} because ${why}; progress starts fresh.`);
  } catch (err) {
    warn(
      `Your progress file ${file} is ignored because ${why}, and it could not be set aside (${(err as Error).message}); progress starts fresh.`,
    );
  }
  return { version: PROGRESS_VERSION, chapters: {} };
}
