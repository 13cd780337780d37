import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

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
