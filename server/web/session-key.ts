import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The file in the state folder that holds the key the session cookies are signed with. */
export const SESSION_KEY_FILE = 'session-key';

/** Bytes of a signing key (HMAC-SHA256 wants at least its block's worth of 32). */
const KEY_BYTES = 32;

/**
 * The key that signs the session cookies, kept in `<stateDir>/session-key` so that a browser that
 * signed in stays signed in when the server restarts on the same state folder. Made on first use,
 * mode 0600; a key file that is a symbolic link, not ours, readable by others or damaged is
 * refused with what to do, never used: whoever can read it can sign a cookie and get a shell.
 */
export function loadSessionKey(stateDir: string): Buffer {
  const file = join(stateDir, SESSION_KEY_FILE);
  return readKey(file) ?? createKey(file) ?? (readKey(file) as Buffer);
}

/** The key in `file`, or undefined when there is no such file. */
function readKey(file: string): Buffer | undefined {
  let fd: number;
  try {
    // O_NOFOLLOW: a symbolic link planted at the key's name fails here (ELOOP) instead of being read.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw refused(file, 'is a symbolic link');
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(file, 'is not a regular file');
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw refused(file, `belongs to another user (uid ${st.uid})`);
    if ((st.mode & 0o077) !== 0) {
      throw new Error(
        `The session key ${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}), who could use it to sign in. Make it private with: chmod 600 ${file}`,
      );
    }
    const key = Buffer.from(readFileSync(fd, 'utf8').trim(), 'base64url');
    if (key.length < KEY_BYTES) throw refused(file, 'is damaged');
    return key;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new key: into a file of a random name made exclusively (O_EXCL, O_NOFOLLOW, 0600), then
 * linked to its real name, which fails if the name exists. So the key file appears whole or not at
 * all, and a second server starting at the same moment reads the first one's key. Undefined when
 * another server won that race.
 */
function createKey(file: string): Buffer | undefined {
  const key = randomBytes(KEY_BYTES);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${key.toString('base64url')}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

function refused(file: string, why: string): Error {
  return new Error(
    `The session key ${file} ${why}, so it cannot be trusted. Remove it with: rm ${file} (the next start makes a new one, and your browser signs in again with the link it prints).`,
  );
}
