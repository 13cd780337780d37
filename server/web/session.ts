import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { tokensEqual } from './security.ts';

/**
 * Who may use this server: only the person who started it. As in Jupyter and code-server,
 * `npm start` prints a one-time login link that carries a secret; opening it sets a session cookie
 * (HttpOnly, SameSite=Strict), and every page and the websocket ask for that cookie. A plain GET
 * from another local process or user, or from the network under `--host`, gets no page and so no
 * token.
 *
 * The cookie is `v1.<issued>.<nonce>.<mac>`, the mac an HMAC-SHA256 of the rest under the key in
 * the state folder (server/web/session-key.ts), so it outlives a restart on the same state folder.
 */

/** How long a browser stays signed in (also the cookie's Max-Age). */
export const SESSION_DAYS = 30;
const SESSION_SECONDS = SESSION_DAYS * 24 * 3600;
/** A cookie issued this far in the future (a clock set back) is still accepted. */
const CLOCK_SKEW_SECONDS = 24 * 3600;
const COOKIE = /^v1\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export class Sessions {
  /**
   * The cookie's name carries the port: cookies are not kept apart by port, and two tutorial
   * servers on one machine (two state folders, two keys) would otherwise overwrite each other's.
   */
  readonly cookieName: string;
  readonly #key: Buffer;

  constructor(key: Buffer, port: number) {
    this.#key = key;
    this.cookieName = `tutorial-session-${port}`;
  }

  /** A new signed session value. */
  issue(now = Date.now()): string {
    const payload = `v1.${Math.floor(now / 1000).toString(36)}.${randomBytes(16).toString('base64url')}`;
    return `${payload}.${this.#mac(payload)}`;
  }

  /** Whether `value` is a session this key signed, not older than SESSION_DAYS. */
  verify(value: string | undefined, now = Date.now()): boolean {
    const m = value ? COOKIE.exec(value) : null;
    if (!m || !value) return false;
    // Constant-time: the mac must not be guessable byte by byte from response times.
    if (!tokensEqual(m[3] as string, this.#mac(value.slice(0, value.lastIndexOf('.'))))) return false;
    const age = Math.floor(now / 1000) - Number.parseInt(m[1] as string, 36);
    return age <= SESSION_SECONDS && age >= -CLOCK_SKEW_SECONDS;
  }

  /**
   * Whether the request carries a valid session cookie. Every cookie of our name counts, not only
   * the first: cookies are not kept apart by port, so a page on another port of 127.0.0.1 can set
   * one of the same name (for a longer path, which the browser sends first) to lock the learner out.
   * Hand-parsed for that reason (the `cookie` package keeps the first of a name); our values are
   * base64url and dots, which need no decoding.
   */
  signedIn(req: IncomingMessage): boolean {
    const header = req.headers.cookie;
    if (!header) return false;
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim() === this.cookieName && this.verify(pair.slice(eq + 1).trim())) return true;
    }
    return false;
  }

  /** The Set-Cookie header of a new session: only our own pages' requests carry it, never a script. */
  setCookie(now = Date.now()): string {
    return `${this.cookieName}=${this.issue(now)}; Max-Age=${SESSION_SECONDS}; Path=/; HttpOnly; SameSite=Strict`;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

/**
 * The one-time login link. There is one unused key at a time: using it signs that browser in and
 * makes the next one, which the server prints, for another browser. A key that was used (a link
 * found later in a history or a log) gets the page that says how to get in.
 */
export class LoginLinks {
  #key = newLoginKey();

  constructor(private readonly base: string) {}

  /** The link that signs a browser in now. */
  url(): string {
    return `${this.base}login?key=${this.#key}`;
  }

  /** Uses up `given` if it is the current key (compared in constant time); true when it was. */
  consume(given: string | null): boolean {
    if (!given || !tokensEqual(given, this.#key)) return false;
    this.#key = newLoginKey();
    return true;
  }
}

function newLoginKey(): string {
  return randomBytes(32).toString('base64url');
}
