import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix } from 'node:path';
import { howToGetInPage, signedInPage } from './pages.ts';
import { type ProgressSummary, sendProgress } from './progress-api.ts';
import { checkHost, pageHeaders } from './security.ts';
import { StaticFiles } from './static-files.ts';
import type { Trust } from './trust.ts';

export interface HttpOptions {
  distDir: string;
  /** Who gets in (web/trust.ts): the allowed names, the per-start token, the sign-in. */
  trust: Trust;
  /**
   * The path the site was built for (default "/"). A request under it is served with the path
   * stripped; one that a proxy already stripped is served as it is.
   */
  base?: string;
  version: string;
  /** A browser signed in with the login link (its address); the server prints the next link. */
  onSignIn: (from: string) => void;
  /** Workshop mode: answer `GET /api/progress` with the steps passed per chapter. */
  progress?: () => ProgressSummary;
  log: (line: string) => void;
}

const TOKEN_PLACEHOLDER = '__TUTORIAL_TOKEN__';

/**
 * Serves the built site to the browser that signed in (on a Unix socket behind
 * jupyter-server-proxy, Jupyter's login signed the learner in: web/trust.ts).
 *
 * - `GET /login?key=…` with the printed one-time key sets the session cookie and goes on to the
 *   site; any other key gets the page that says how to get in.
 * - HTML pages (and the 404 page) need the session cookie: they carry the per-start token in
 *   `<meta name="tutorial-token">`, with which a websocket gets a shell. Without the cookie the
 *   answer is the page that says how to get in, with no token.
 * - Every other file (`/_astro/*`, fonts, Pagefind's index) is served without the cookie: they
 *   are the site as built from this public repository, byte for byte, and carry no credential;
 *   the token is only ever put into the HTML that this handler writes. A stranger learns nothing
 *   from them that the repository does not say.
 * - `GET /healthz` is open and says only that the server is up and its version.
 * - `GET /api/progress` (workshop mode only) gives the steps passed per chapter, for the hub.
 * - A foreign Host gets 403 before anything else (DNS rebinding).
 *
 * A bug while answering one request is logged and ends that response alone.
 */
export function createHttpHandler(o: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const files = new StaticFiles(o.distDir);
  const base = o.base ?? '/';
  /** The path below the base ("/user/ada/tutorial/x/" → "/x/"); a path a proxy stripped stays as it is. */
  const underBase = (path: string): string =>
    base !== '/' && (path.startsWith(base) || `${path}/` === base) ? `/${path.slice(base.length)}` : path;
  /** The answer to a browser that has not signed in: what to do, and nothing else (no token, no link that signs in). */
  const howToGetIn = (req: IncomingMessage, res: ServerResponse, first?: string): void => {
    res.writeHead(403, { ...pageHeaders(), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(howToGetInPage(req.headers.host ?? '127.0.0.1:4321', base, first));
  };
  const htmlCache = new Map<string, { mtimeMs: number; size: number; html: string }>();

  const sendHtml = (res: ServerResponse, rel: string, status = 200): boolean => {
    const abs = files.find(rel);
    const file = abs === undefined ? undefined : files.read(abs);
    if (!abs || !file) return false;
    let cached = htmlCache.get(abs);
    if (!cached || cached.mtimeMs !== file.stats.mtimeMs || cached.size !== file.stats.size) {
      cached = { mtimeMs: file.stats.mtimeMs, size: file.stats.size, html: file.text.toString('utf8') };
      htmlCache.set(abs, cached);
    }
    const body = cached.html.replaceAll(TOKEN_PLACEHOLDER, o.trust.token);
    res.writeHead(status, { ...pageHeaders(), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (checkHost(req, o.trust.hosts)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('This server answers only to its own address.\n');
      return;
    }
    let url: URL;
    let path: string;
    try {
      url = new URL(req.url ?? '/', 'http://x');
      path = underBase(decodeURIComponent(url.pathname));
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ ok: true, version: o.version }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/login' && o.trust.login) {
      signIn(req, res, url.searchParams.get('key'));
      return;
    }
    if (path === '/api/progress' && o.progress) {
      if (o.trust.signedIn(req)) sendProgress(res, o.progress());
      else howToGetIn(req, res);
      return;
    }
    // "/a/../b" and "//b" become "/b".
    const rel = posix.normalize(path);
    // Files that are not pages go to anyone (see above); a symbolic link or a dot file is none.
    if (!rel.endsWith('/') && !rel.endsWith('.html') && files.send(req, res, rel)) return;
    // Everything else is a page, or the 404 page: only for a browser that signed in.
    if (!o.trust.signedIn(req)) {
      howToGetIn(req, res);
      return;
    }
    // Pages: /x/ → x/index.html; /x → x/index.html too (or x.html).
    const candidates = rel.endsWith('.html') ? [rel] : rel.endsWith('/') ? [`${rel}index.html`] : [`${rel}/index.html`, `${rel}.html`];
    for (const c of candidates) if (sendHtml(res, c)) return;
    if (!sendHtml(res, '/404.html', 404)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found.\n');
    }
  };

  const signIn = (req: IncomingMessage, res: ServerResponse, key: string | null): void => {
    const login = o.trust.login;
    // Only a GET uses the key up (a HEAD, say a link checker's, does not).
    if (req.method === 'GET' && login?.links.consume(key)) {
      o.onSignIn(req.socket.remoteAddress ?? 'an unknown address');
      res.setHeader('Set-Cookie', login.sessions.setCookie());
    } else if (!o.trust.signedIn(req)) {
      howToGetIn(req, res, 'This login link has been used already, or it is not from this start of the server.');
      return;
    }
    // A page that goes on by itself, not a redirect (pages.ts says why).
    res.writeHead(200, { ...pageHeaders(), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(signedInPage(base));
  };

  return (req, res) => {
    res.on('error', (err) => {
      o.log(`a response failed: ${err.message}`);
      res.destroy();
    });
    try {
      handle(req, res);
    } catch (err) {
      // A bug: this request alone ends; the server and every shell carry on.
      o.log(`error while answering ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent)
        res
          .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' })
          .end('The server failed to answer; its console shows why.\n');
      else res.destroy();
    }
  };
}
