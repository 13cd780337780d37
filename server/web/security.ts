import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The checks that stand between a web page and a shell on the learner's machine. A page on any
 * site can make the learner's browser open a websocket to 127.0.0.1; binding to loopback alone
 * does not stop it (webpack-dev-server CVE-2018-14732, Vite CVE-2025-24010, code-server
 * CVE-2023-26114). So every upgrade must carry an allowed Host (against DNS rebinding), an
 * allowed Origin (against cross-site websocket hijacking) and the per-start token that only
 * our own pages know.
 */

/** A fresh random token for one server start. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Compares two tokens in constant time (a timing side channel must not leak the token). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length) {
    // Still spend the time of a comparison.
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Workshop mode: the server listens on a Unix socket that only the learner's own Jupyter server
 * can open (the socket's folder is private to the learner's container), and jupyter-server-proxy
 * has already authenticated the request with Jupyter's login and checked its Origin. The Host is
 * the hub's public name, which this server cannot know: any Host is accepted, and an upgrade's
 * Origin must be the page's own (the same host as the Host header). The token is still required.
 */
export const BEHIND_PROXY = 'behind-proxy';
/** The Host values to accept: an allow-list, or anything when behind the proxy. */
export type HostPolicy = Set<string> | typeof BEHIND_PROXY;

/** The Host values this server answers to: its own address and port, by the names a browser may use. */
export function allowedHosts(host: string, port: number, extra: string[] = []): Set<string> {
  const names = new Set([host, '127.0.0.1', 'localhost', '[::1]', ...extra]);
  if (host === '0.0.0.0' || host === '::') names.delete(host);
  return new Set([...names].map((n) => `${n}:${port}`.toLowerCase()));
}

/** The origins our own pages have. */
export function allowedOrigins(hosts: Set<string>): Set<string> {
  return new Set([...hosts].map((h) => `http://${h}`));
}

export type Refusal = { status: 403; reason: string } | undefined;

/** Whether the Host header is one of ours (DNS rebinding makes a foreign name resolve to 127.0.0.1). */
export function checkHost(req: IncomingMessage, hosts: HostPolicy): Refusal {
  if (hosts === BEHIND_PROXY) return undefined;
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return { status: 403, reason: `host ${JSON.stringify(host)} is not allowed` };
  return undefined;
}

/** The whole check before a websocket upgrade: Host, then Origin (missing or "null" refused), then token. */
export function checkUpgrade(req: IncomingMessage, hosts: HostPolicy, origins: Set<string>, token: string): Refusal {
  const bad = checkHost(req, hosts);
  if (bad) return bad;
  const origin = req.headers.origin;
  const own = (o: string) =>
    hosts === BEHIND_PROXY
      ? [`http://${req.headers.host ?? ''}`, `https://${req.headers.host ?? ''}`].map((x) => x.toLowerCase()).includes(o.toLowerCase())
      : origins.has(o.toLowerCase());
  if (!origin || origin === 'null' || !own(origin)) {
    return { status: 403, reason: `origin ${JSON.stringify(origin ?? null)} is not allowed` };
  }
  let given: string | null = null;
  try {
    given = new URL(req.url ?? '', 'http://localhost').searchParams.get('token');
  } catch {
    given = null;
  }
  if (!given || !tokensEqual(given, token)) return { status: 403, reason: 'missing or wrong token' };
  return undefined;
}

/** Headers on every page: no framing by other sites, no sniffing, a content security policy. */
export function pageHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      // Starlight's theme switch and Astro's islands are small inline scripts.
      "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}
