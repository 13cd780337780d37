import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { ensurePrivateFolder } from '../private-fs.ts';

/**
 * Listens on the Unix socket `path` (workshop mode, behind jupyter-server-proxy). There the
 * server asks for no sign-in of its own (server/web/trust.ts), so the socket's permissions are
 * half of the boundary: its folder must be this user's alone (made 0700 when missing; a link,
 * another user's folder, or one that others may enter is refused with what to do), and the socket
 * is made 0600. A socket that a crashed server left there is replaced first.
 */
export async function listenOnSocket(server: Server, path: string): Promise<void> {
  ensurePrivateFolder(dirname(path), {
    what: "socket's folder",
    option: '--socket PATH',
    why: 'whoever reaches the socket in it gets a shell as you without signing in',
    risk: 'put a socket of their own in its place',
    closed: true,
  });
  await removeStaleSocket(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
}

/**
 * Removes a Unix socket that a crashed server left behind at `path` (nothing answers on it), so
 * that listening there again works; jupyter-server-proxy restarts a crashed tutorial on the same
 * path. A socket that answers is left alone (listening then fails with EADDRINUSE), and so is
 * anything that is not a socket.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch {
    return;
  }
  const answers = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!answers) unlinkSync(path);
}
