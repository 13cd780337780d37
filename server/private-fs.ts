import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The learner's own folders and files. The server's shells source files from the state folder
 * (their rc files, step variables) and the workspace (.venv/bin/activate): whoever can write
 * there runs code as the learner. So these folders must be real folders (not symbolic links),
 * owned by the user who runs the server and writable by nobody else, and files in them are
 * created exclusively and without following links (O_EXCL | O_NOFOLLOW): a link planted where a
 * file is about to be written makes the write fail instead of writing through it.
 */

/** Flags of a file created here: new, never through a symbolic link. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A folder that is not safe to use; the message names the folder, the problem and the fix. */
export class UnsafeFolderError extends Error {
  constructor(
    readonly folder: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeFolderError';
  }
}

/** What a folder is for, in the words of the messages about it. */
export interface FolderRole {
  /** E.g. "state folder", "workspace". */
  what: string;
  /** How the learner picks another one, e.g. "--state DIR"; absent for folders the server makes inside another. */
  option?: string;
  /** Why it must be private (default: the tutorial keeps files there that the shells run). */
  why?: string;
  /** What another user who may write there could do (default: change the files the shells run). */
  risk?: string;
  /** Refuse it when others may so much as enter it, not only write to it (mode 0700, no less). */
  closed?: boolean;
}

/**
 * Makes sure `dir` is a private folder of this user: creates it (mode 0700, with any missing
 * parents) when it is missing, and otherwise refuses (UnsafeFolderError) a symbolic link, a
 * file, a folder owned by another user, or one that others may write to.
 */
export function ensurePrivateFolder(dir: string, role: FolderRole): void {
  let st = lstatOrUndefined(dir);
  if (!st) {
    mkdirSync(dirname(dir), { recursive: true });
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      // Someone made it in the meantime: it is checked below like any folder that was there.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    st = lstatSync(dir);
  }
  const q = shellArg(dir);
  const instead = role.option ? `, or choose another folder with ${role.option}` : '';
  const why = role.why ?? 'the tutorial keeps files there that your shells run';
  const risk = role.risk ?? 'change the files your shells run';
  if (st.isSymbolicLink()) {
    throw new UnsafeFolderError(
      dir,
      `The ${role.what} ${dir} is a symbolic link (to ${readlinkSync(dir)}); ${why}, so it must be a real folder of your own. Remove the link with \`rm ${q}\`${instead}.`,
    );
  }
  if (!st.isDirectory()) {
    throw new UnsafeFolderError(dir, `The ${role.what} ${dir} is a file, not a folder. Move it away${instead}.`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafeFolderError(
      dir,
      `The ${role.what} ${dir} belongs to another user (${userName(st.uid)}), who could ${risk}. Remove it with \`sudo rm -r ${q}\` if nothing in it is yours${instead}.`,
    );
  }
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o002) !== 0 ? 'every user' : 'its group';
    throw new UnsafeFolderError(
      dir,
      `The ${role.what} ${dir} can be written by ${who} (its mode is ${mode}), who could ${risk}. Make it yours alone with \`chmod 700 ${q}\`${instead}.`,
    );
  }
  if (role.closed && (st.mode & 0o077) !== 0) {
    const who = (st.mode & 0o007) !== 0 ? 'every user' : 'its group';
    throw new UnsafeFolderError(
      dir,
      `The ${role.what} ${dir} can be entered by ${who} (its mode is ${mode}); ${why}, so it must be yours alone. Make it so with \`chmod 700 ${q}\`${instead}.`,
    );
  }
}

/**
 * Creates `file` with `text`, failing with EEXIST when anything (a file, a symbolic link, even a
 * dangling one) is already there. A file that could not be written whole is removed again.
 */
export function createFileExclusive(file: string, text: string, mode = 0o600): void {
  const fd = openSync(file, CREATE_NEW, mode);
  try {
    writeAll(fd, text);
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(file);
    throw err;
  }
  closeSync(fd);
}

/**
 * Writes a file so that a reader sees either the old or the new text, never a mix: a temp file
 * with a random name beside it (created exclusively, so a link planted there is never followed),
 * fsync, rename over the target, fsync the folder. When anything fails (a full disk), the temp
 * file is removed and the target keeps its old text. Two processes writing at once each rename a
 * whole file; the last one wins.
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(tmp, CREATE_NEW, mode);
  try {
    writeAll(fd, text);
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    closeQuietly(fd);
    unlinkQuietly(tmp);
    throw err;
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    unlinkQuietly(tmp);
    throw err;
  }
  try {
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic there.
  }
}

/** Reads a file as UTF-8 without following a symbolic link (ELOOP when `file` is one). */
export function readFileNoFollow(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** A path as one shell word, quoted only when it needs to be. */
export function shellArg(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

function writeAll(fd: number, text: string): void {
  const data = Buffer.from(text, 'utf8');
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** "nobody, uid 65534", from the passwd file (Node can only ask for the current user's name). */
function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    if (line) return `${line.split(':')[0]}, uid ${uid}`;
  } catch {
    // No passwd file (macOS keeps its users elsewhere): the number has to do.
  }
  return `uid ${uid}`;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Not there (or never made).
  }
}
