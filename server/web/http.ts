import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import sirv from 'sirv';
import { type ProgressSummary, sendProgress } from './progress-api.ts';
import { checkHost, type HostPolicy, pageHeaders } from './security.ts';

export interface HttpOptions {
  distDir: string;
  token: string;
  hosts: HostPolicy;
  version: string;
  /** Workshop mode: answer `GET /api/progress` with the steps passed per chapter. */
  progress?: () => ProgressSummary;
}

const TOKEN_PLACEHOLDER = '__TUTORIAL_TOKEN__';

/**
 * Serves the built site. HTML pages get the per-start token in their
 * `<meta name="tutorial-token">` (it is never in a static script, so another site cannot read it),
 * and the security headers; every other file is served by sirv. `GET /healthz` says the server
 * is up. A request for a foreign Host gets 403 (DNS rebinding).
 */
export function createHttpHandler(o: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const assets = sirv(o.distDir, { dev: false, etag: true, gzip: false, brotli: false, extensions: [] });
  const htmlCache = new Map<string, { mtimeMs: number; html: string }>();

  const sendHtml = (res: ServerResponse, file: string, status = 200): boolean => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(file);
      if (!st.isFile()) return false;
    } catch {
      return false;
    }
    let cached = htmlCache.get(file);
    if (!cached || cached.mtimeMs !== st.mtimeMs) {
      cached = { mtimeMs: st.mtimeMs, html: readFileSync(file, 'utf8') };
      htmlCache.set(file, cached);
    }
    const body = cached.html.replaceAll(TOKEN_PLACEHOLDER, o.token);
    res.writeHead(status, { ...pageHeaders(), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
    return true;
  };

  return (req, res) => {
    if (checkHost(req, o.hosts)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('This server answers only to its own address.\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ ok: true, version: o.version }));
      return;
    }
    if (path === '/api/progress' && o.progress && req.method === 'GET') {
      sendProgress(res, o.progress());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    // Pages: /x/ → x/index.html; /x → x/index.html too (or x.html).
    const rel = normalize(path).replace(/^(\.\.[/\\])+/, '');
    if (path.endsWith('/') || !/\.[a-z0-9]+$/i.test(path)) {
      const candidates = path.endsWith('/') ? [join(rel, 'index.html')] : [join(rel, 'index.html'), `${rel}.html`];
      for (const c of candidates) if (sendHtml(res, join(o.distDir, c))) return;
    } else if (path.endsWith('.html') && sendHtml(res, join(o.distDir, rel))) {
      return;
    }
    assets(req, res, () => {
      if (!sendHtml(res, join(o.distDir, '404.html'), 404)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not found.\n');
      }
    });
  };
}
