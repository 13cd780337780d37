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
  realpathSync,
  renameSync,
  type Stats,
  statfsSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

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
  // Before anything is made: nothing goes into a folder that another user could swap.
  ensureTrustedAncestors(dir, role);
  let st = lstatOrUndefined(dir);
  if (!st) {
    // Missing parents are made 0755 whatever the umask (a group-writable one would be refused below).
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
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
  ensureTrustedAncestors(dir, role);
  if (role.closed && (st.mode & 0o077) !== 0) {
    const who = (st.mode & 0o007) !== 0 ? 'every user' : 'its group';
    throw new UnsafeFolderError(
      dir,
      `The ${role.what} ${dir} can be entered by ${who} (its mode is ${mode}); ${why}, so it must be yours alone. Make it so with \`chmod 700 ${q}\`${instead}.`,
    );
  }
}

/**
 * Refuses (UnsafeFolderError) a folder that another user could swap: one above `dir` that belongs
 * to someone other than root or this user, or that others may write to (a sticky folder such as
 * /tmp excepted: there, only an entry's owner may rename it). Whoever may write to a folder may
 * rename what is in it, so they could move the checked folder away and put their own in its
 * place, and the shells would run their files. OpenSSH checks the same before it trusts a key
 * file (StrictModes). Symbolic links on the way are followed, and both the link's folder (by the
 * path as given) and the folders of the real path are checked; a link must be root's or this
 * user's.
 */
export function ensureTrustedAncestors(dir: string, role: FolderRole): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const full = resolve(dir);
  const seen = new Set<string>();
  const check = (folder: string, st: Stats) => {
    const problem = untrusted(st, uid);
    if (!problem) return;
    const q = shellArg(folder);
    const fix =
      problem === 'owner'
        ? `Choose a folder under one of your own (e.g. under ${shellArg(process.env.HOME ?? '~')})${role.option ? ` with ${role.option}` : ''}, or have ${userName(st.uid)} give ${folder} to you or to root`
        : `Take write access away from others with \`chmod go-w ${q}\`${st.uid === uid ? '' : ' (as root)'}, or choose a folder elsewhere${role.option ? ` with ${role.option}` : ''}`;
    const who =
      problem === 'owner'
        ? `belongs to ${userName(st.uid)}`
        : `can be written by ${(st.mode & 0o002) !== 0 ? 'every user' : 'its group'} (its mode is ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, without the sticky bit)`;
    throw new UnsafeFolderError(
      dir,
      `The ${role.what} ${full} is inside ${folder}, which ${who}: they could rename the ${role.what} away and ${role.risk ?? 'put a folder of their own in its place, whose files your shells would then run'}. ${fix}.`,
    );
  };
  // The path as given (a link on the way must be root's or this user's, and so must the folder
  // holding it), then the real path the links lead to. Folders not made yet are skipped: they will
  // be this user's.
  let existing = dirname(full);
  while (!lstatOrUndefined(existing) && dirname(existing) !== existing) existing = dirname(existing);
  for (const start of [dirname(full), realpathSync(existing)]) {
    for (let p = start; ; p = dirname(p)) {
      if (!seen.has(p)) {
        seen.add(p);
        const st = lstatOrUndefined(p);
        if (st) check(p, st);
      }
      if (dirname(p) === p) break;
    }
  }
}

/** Why a folder above a private one is not to be trusted: 'owner', 'writable', or undefined. */
function untrusted(st: Stats, uid: number): 'owner' | 'writable' | undefined {
  if (st.isSymbolicLink()) return st.uid !== 0 && st.uid !== uid ? 'owner' : undefined;
  if (st.uid !== 0 && st.uid !== uid) return 'owner';
  // Sticky (like /tmp): others may add entries but not rename or remove ones that are not theirs.
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return 'writable';
  return undefined;
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

/** True when an error (or its cause) says the disk is full or the quota used up. */
export function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}

/**
 * The sentence for a full disk: the folder, the space left there, what could not be done, and
 * the command that shows the disk (`df -h DIR`). `what` completes "so ...".
 */
export function diskFullMessage(dir: string, what: string): string {
  let free = '';
  try {
    const fs = statfsSync(dir);
    free = `: ${formatBytes(Number(fs.bavail) * Number(fs.bsize))} free for you`;
  } catch {
    // The folder may be gone; the sentence does without the figure.
  }
  return `The disk that holds ${dir} is full${free}, so ${what}. Free some space there (\`df -h ${shellArg(dir)}\` shows the disk and what is left), then try again.`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A path as one shell word, quoted only when it needs to be. */
export function shellArg(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

function writeAll(fd: number, text: string): void {
  const data = Buffer.from(text, 'utf8');
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
}

/** lstat, or undefined where nothing is at that path. */
export function lstatOrUndefined(path: string) {
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
