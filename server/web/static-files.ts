import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { lookup } from 'mrmime';

/**
 * Files of the built site, looked up at each request: a path whose every part is a plain name
 * (no `..`, no dot file) and an existing folder, ending in a regular file. A symbolic link anywhere
 * below dist/ is not followed, so a link put there (to ~/.ssh, say) serves nothing, and a link
 * loop costs a 404 instead of the start-up. The last part is opened with O_NOFOLLOW and checked
 * again on the open file, so what is sent is the file that was checked.
 *
 * (sirv did this job before; it walks dist/ at start-up following links, which a loop crashes, and
 * pipes its read stream without an error handler, so a file removed by a rebuild between its
 * lookup and its read ended the process.)
 */
export class StaticFiles {
  constructor(private readonly root: string) {}

  /** The absolute path of the regular file at `rel` (parts split by "/"), or undefined. */
  find(rel: string): string | undefined {
    const parts = rel.split('/').filter((p) => p !== '');
    if (parts.length === 0 || parts.some((p) => p.startsWith('.') || p.includes('\\') || p.includes('\0'))) return undefined;
    let path = this.root;
    for (const [i, part] of parts.entries()) {
      path = join(path, part);
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch {
        return undefined;
      }
      const last = i === parts.length - 1;
      if (last ? !st.isFile() : !st.isDirectory()) return undefined;
    }
    return path;
  }

  /** Reads a found file whole, without following a link put there since; undefined when it is gone. */
  read(abs: string): { text: Buffer; stats: Stats } | undefined {
    const fd = openFile(abs);
    if (fd === undefined) return undefined;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) return undefined;
      return { text: readFileSync(fd), stats };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Sends the file at `rel` with its type, length and a weak ETag (a matching If-None-Match gets
   * 304). False when there is no such file; the caller answers then. An error while sending ends
   * this response only.
   */
  send(req: IncomingMessage, res: ServerResponse, rel: string, headers: Record<string, string> = {}): boolean {
    const abs = this.find(rel);
    const fd = abs === undefined ? undefined : openFile(abs);
    if (fd === undefined) return false;
    let stats: Stats;
    try {
      stats = fstatSync(fd);
    } catch {
      closeSync(fd);
      return false;
    }
    if (!stats.isFile()) {
      closeSync(fd);
      return false;
    }
    const etag = `W/"${stats.size}-${Math.floor(stats.mtimeMs)}"`;
    const head = {
      ...headers,
      ETag: etag,
      'Last-Modified': stats.mtime.toUTCString(),
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    if (req.headers['if-none-match'] === etag || req.method === 'HEAD') {
      closeSync(fd);
      const status = req.method === 'HEAD' && req.headers['if-none-match'] !== etag ? 200 : 304;
      res.writeHead(status, status === 200 ? { ...head, 'Content-Type': typeOf(rel), 'Content-Length': String(stats.size) } : head);
      res.end();
      return true;
    }
    res.writeHead(200, { ...head, 'Content-Type': typeOf(rel), 'Content-Length': String(stats.size) });
    // pipeline: an error on either side (a file cut short, a client gone) ends both, and is
    // handled here instead of on a stream nobody listens to.
    pipeline(createReadStream('', { fd, autoClose: true }), res, () => {});
    return true;
  }
}

function openFile(abs: string): number | undefined {
  try {
    return openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
}

function typeOf(rel: string): string {
  return lookup(rel) ?? 'application/octet-stream';
}
