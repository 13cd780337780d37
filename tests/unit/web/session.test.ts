import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LoginLinks, SESSION_DAYS, Sessions } from '../../../server/web/session.ts';

const DAY = 24 * 3600 * 1000;
const withCookie = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as IncomingMessage;

describe('Sessions', () => {
  const sessions = new Sessions(randomBytes(32), 4321);

  it('names its cookie after the port, so two servers on one machine keep theirs apart', () => {
    expect(sessions.cookieName).toBe('tutorial-session-4321');
  });

  it('sets an HttpOnly, SameSite=Strict cookie on the whole site that lasts as long as a session', () => {
    const header = sessions.setCookie();
    expect(header).toMatch(/^tutorial-session-4321=v1\.[0-9a-z]+\.[\w-]{22}\.[\w-]{43}; /);
    expect(header.split('; ').slice(1)).toEqual([`Max-Age=${SESSION_DAYS * 24 * 3600}`, 'Path=/', 'HttpOnly', 'SameSite=Strict']);
  });

  it('accepts the cookies it issued, each one new', () => {
    const a = sessions.issue();
    expect(sessions.verify(a)).toBe(true);
    expect(sessions.issue()).not.toBe(a);
    expect(sessions.signedIn(withCookie(`other=1; ${sessions.cookieName}=${a}; x=y`))).toBe(true);
  });

  it('refuses a cookie signed with another key (another state folder, or forged)', () => {
    const other = new Sessions(randomBytes(32), 4321);
    expect(sessions.verify(other.issue())).toBe(false);
  });

  it('refuses a cookie whose date or nonce was changed, or whose mac was cut or padded', () => {
    const good = sessions.issue();
    const [v, issued, nonce, mac] = good.split('.') as [string, string, string, string];
    expect(sessions.verify(`${v}.${(Number.parseInt(issued, 36) + 1).toString(36)}.${nonce}.${mac}`)).toBe(false);
    expect(sessions.verify(`${v}.${issued}.${nonce.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}.${mac}`)).toBe(false);
    expect(sessions.verify(`${v}.${issued}.${nonce}.${mac.slice(0, -1)}`)).toBe(false);
    expect(sessions.verify(`${good}A`)).toBe(false);
    expect(sessions.verify('')).toBe(false);
    expect(sessions.verify(undefined)).toBe(false);
  });

  it(`refuses a cookie older than ${SESSION_DAYS} days`, () => {
    const now = Date.now();
    const old = sessions.issue(now - (SESSION_DAYS + 1) * DAY);
    expect(sessions.verify(old, now)).toBe(false);
    expect(sessions.verify(sessions.issue(now - (SESSION_DAYS - 1) * DAY), now)).toBe(true);
  });

  it('finds its cookie among others of the same name (one planted by a page on another port of 127.0.0.1)', () => {
    const good = sessions.issue();
    expect(sessions.signedIn(withCookie(`${sessions.cookieName}=planted; ${sessions.cookieName}=${good}`))).toBe(true);
    expect(sessions.signedIn(withCookie(`${sessions.cookieName}=planted`))).toBe(false);
    expect(sessions.signedIn(withCookie(`tutorial-session-4322=${good}`))).toBe(false);
    expect(sessions.signedIn(withCookie())).toBe(false);
    expect(sessions.signedIn(withCookie(';;=;'))).toBe(false);
  });
});

describe('LoginLinks', () => {
  it('gives a link with a long random key on the server address', () => {
    const links = new LoginLinks('http://127.0.0.1:4321/');
    expect(links.url()).toMatch(/^http:\/\/127\.0\.0\.1:4321\/login\?key=[\w-]{43}$/);
    expect(new LoginLinks('http://127.0.0.1:4321/').url()).not.toBe(links.url());
  });

  it('takes each key once, and then has the next one', () => {
    const links = new LoginLinks('http://127.0.0.1:4321/');
    const first = new URL(links.url()).searchParams.get('key');
    expect(links.consume(first)).toBe(true);
    expect(links.consume(first)).toBe(false);
    const next = new URL(links.url()).searchParams.get('key');
    expect(next).not.toBe(first);
    expect(links.consume(next)).toBe(true);
  });

  it('refuses a missing, empty or wrong key, and they do not use up the real one', () => {
    const links = new LoginLinks('http://127.0.0.1:4321/');
    const key = new URL(links.url()).searchParams.get('key') as string;
    expect(links.consume(null)).toBe(false);
    expect(links.consume('')).toBe(false);
    expect(links.consume(`${key}x`)).toBe(false);
    expect(links.consume(key.slice(0, -1))).toBe(false);
    expect(links.consume(key)).toBe(true);
  });
});
