import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * The checks that stand between a web page and a shell on the learner's machine. A page on any
 * site can make the learner's browser open a websocket to 127.0.0.1; binding to loopback alone
 * does not stop it (webpack-dev-server CVE-2018-14732, Vite CVE-2025-24010, code-server
 * CVE-2023-26114). So every upgrade must carry an allowed Host (against DNS rebinding), an
 * allowed Origin (against cross-site websocket hijacking), the session cookie of a browser that
 * signed in with the printed link (against other programs and users of this machine, and the
 * network under --host) and the per-start token that only our own pages know.
 *
 * Behind jupyter-server-proxy (workshop mode, on a Unix socket) the Host and the sign-in are
 * decided otherwise; server/web/trust.ts chooses the rules of each mode in one place.
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

/** Addresses that only this machine reaches. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `host` (an address or "localhost") can be reached only from this machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  return mapped ? LOOPBACK.check(mapped, 'ipv4') : LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The Host values this server answers to: the names by which a browser really reaches the address
 * it listens on, with the port. `localhost` is one of them for 127.0.0.1 and ::1 (browsers resolve
 * it to both and fall back from one to the other), but not `[::1]` for 127.0.0.1: nothing listens
 * there. A wildcard address (0.0.0.0, ::) is reached by every address of this machine's interfaces
 * (`interfaces`, from os.networkInterfaces()), never by its own name.
 */
export function allowedHosts(
  address: string,
  port: number,
  extra: string[] = [],
  interfaces: string[] = localAddresses(address === '::' ? 'any' : 'ipv4'),
): Set<string> {
  const names = new Set<string>(extra);
  const add = (a: string) => names.add(isIP(a) === 6 ? `[${a}]` : a);
  if (address === '0.0.0.0' || address === '::') {
    for (const a of interfaces) add(a);
    names.add('localhost');
  } else {
    add(address);
    if (address === '127.0.0.1' || address === '::1') names.add('localhost');
  }
  return new Set([...names].map((n) => `${n}:${port}`.toLowerCase()));
}

/** The addresses of this machine's network interfaces (loopback too). */
function localAddresses(family: 'ipv4' | 'any'): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((i) => family === 'any' || i.family === 'IPv4')
    .map((i) => i.address.replace(/%.*$/, ''));
}

/**
 * The Host values to accept: an allow-list, or any Host behind jupyter-server-proxy, which
 * forwards the hub's public name (this server cannot know it). Only server/web/trust.ts picks
 * BEHIND_PROXY, and only for a server on a Unix socket.
 */
export const BEHIND_PROXY = 'behind-proxy';
export type HostPolicy = Set<string> | typeof BEHIND_PROXY;

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

/** What an upgrade must match: this start's names, origins and token, and a signed-in browser. */
export interface UpgradeRules {
  hosts: HostPolicy;
  /** The origins of our own pages; behind the proxy (BEHIND_PROXY) the page's own, http(s)://<Host>. */
  origins: Set<string>;
  token: string;
  /**
   * Whether the request comes from the person this server is for: a valid session cookie
   * (server/web/session.ts) on a port; always true behind the proxy (server/web/trust.ts says why).
   */
  signedIn: (req: IncomingMessage) => boolean;
}

/** Whether `origin` is one of our pages': in the allow-list, or behind the proxy the Host it came through. */
function ownOrigin(req: IncomingMessage, origin: string, rules: UpgradeRules): boolean {
  const o = origin.toLowerCase();
  if (rules.hosts !== BEHIND_PROXY) return rules.origins.has(o);
  const host = (req.headers.host ?? '').toLowerCase();
  return host !== '' && (o === `http://${host}` || o === `https://${host}`);
}

/**
 * The whole check before a websocket upgrade: Host, then Origin (missing or "null" refused), then
 * the session cookie, then the token. Origin alone stops other sites in the learner's browser, not
 * another program, which sends any Origin it likes; the cookie stops that program, since it never
 * got one (HttpOnly: no page script reads it either).
 */
export function checkUpgrade(req: IncomingMessage, rules: UpgradeRules): Refusal {
  const bad = checkHost(req, rules.hosts);
  if (bad) return bad;
  const origin = req.headers.origin;
  if (!origin || origin === 'null' || !ownOrigin(req, origin, rules)) {
    return { status: 403, reason: `origin ${JSON.stringify(origin ?? null)} is not allowed` };
  }
  if (!rules.signedIn(req)) return { status: 403, reason: 'no valid session cookie' };
  let given: string | null = null;
  try {
    given = new URL(req.url ?? '', 'http://localhost').searchParams.get('token');
  } catch {
    given = null;
  }
  if (!given || !tokensEqual(given, rules.token)) return { status: 403, reason: 'missing or wrong token' };
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
