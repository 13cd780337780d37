import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allowedHosts, allowedOrigins, checkUpgrade, isLoopback, newToken, tokensEqual } from '../../../server/web/security.ts';

describe('tokensEqual', () => {
  it('is true only for the same token', () => {
    const t = newToken();
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(`${t}`, t.slice(0))).toBe(true);
    expect(tokensEqual(`${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`, t)).toBe(false);
    expect(tokensEqual(t.slice(0, -1), t)).toBe(false);
    expect(tokensEqual(`${t}x`, t)).toBe(false);
    expect(tokensEqual('', t)).toBe(false);
  });

  it('makes a fresh token of at least 32 characters each time', () => {
    const a = newToken();
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(newToken()).not.toBe(a);
  });
});

describe('checkUpgrade', () => {
  const port = 4321;
  const hosts = allowedHosts('127.0.0.1', port);
  const origins = allowedOrigins(hosts);
  const token = 'the-token-of-this-start';
  const SIGNED_IN = 'tutorial-session-4321=good';
  const rules = { hosts, origins, token, signedIn: (r: IncomingMessage) => r.headers.cookie === SIGNED_IN };
  const req = (headers: Record<string, string>, url = `/ws?token=${token}`) =>
    ({ url, headers: { cookie: SIGNED_IN, ...headers } }) as unknown as IncomingMessage;
  const own = { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` };

  it('accepts our own page by each of its names', () => {
    expect(checkUpgrade(req(own), rules)).toBeUndefined();
    expect(checkUpgrade(req({ host: `localhost:${port}`, origin: `http://localhost:${port}` }), rules)).toBeUndefined();
  });

  it.each([
    ['a foreign Host', { ...own, host: `evil.example:${port}` }, /host "evil.example:4321"/],
    ['a Host on another port', { ...own, host: '127.0.0.1:80' }, /host/],
    ['no Host', { origin: own.origin }, /host/],
    ['[::1], where nothing listens', { host: `[::1]:${port}`, origin: `http://[::1]:${port}` }, /host/],
    ['a foreign Origin', { ...own, origin: 'http://evil.example' }, /origin "http:\/\/evil.example"/],
    ['an https Origin', { ...own, origin: `https://127.0.0.1:${port}` }, /origin/],
    ['the null Origin', { ...own, origin: 'null' }, /origin "null"/],
    ['no Origin', { host: own.host }, /origin null/],
    ['no session cookie', { ...own, cookie: '' }, /no valid session cookie/],
    ['a wrong session cookie', { ...own, cookie: 'tutorial-session-4321=forged' }, /no valid session cookie/],
  ])('refuses %s', (_what, headers, reason) => {
    expect(checkUpgrade(req(headers as Record<string, string>), rules)).toEqual({
      status: 403,
      reason: expect.stringMatching(reason),
    });
  });

  it.each([
    ['no token', '/ws'],
    ['an empty token', '/ws?token='],
    ['a wrong token', '/ws?token=the-token-of-this-starT'],
    ['a longer token', `/ws?token=${token}x`],
    ['the token under another name', `/ws?t=${token}`],
  ])('refuses %s', (_what, url) => {
    expect(checkUpgrade(req(own, url), rules)).toEqual({ status: 403, reason: 'missing or wrong token' });
  });
});

describe('allowedHosts', () => {
  const port = 4321;
  const names = (set: Set<string>) => [...set].sort();

  it('is the listening address and localhost, which browsers resolve to it, for 127.0.0.1 (not [::1]: nothing listens there)', () => {
    expect(names(allowedHosts('127.0.0.1', port))).toEqual(['127.0.0.1:4321', 'localhost:4321']);
    expect(names(allowedHosts('::1', port))).toEqual(['[::1]:4321', 'localhost:4321']);
  });

  it('is the address alone for another loopback or a network address', () => {
    expect(names(allowedHosts('127.0.0.2', port))).toEqual(['127.0.0.2:4321']);
    expect(names(allowedHosts('192.0.2.7', port))).toEqual(['192.0.2.7:4321']);
  });

  it('is every interface address for a wildcard address, never the wildcard itself', () => {
    const wild = allowedHosts('0.0.0.0', port, [], ['127.0.0.1', '192.0.2.7']);
    expect(names(wild)).toEqual(['127.0.0.1:4321', '192.0.2.7:4321', 'localhost:4321']);
    expect(names(allowedHosts('::', port, [], ['::1', '127.0.0.1', '2001:db8::7']))).toEqual([
      '127.0.0.1:4321',
      '[2001:db8::7]:4321',
      '[::1]:4321',
      'localhost:4321',
    ]);
  });

  it('takes extra names as given', () => {
    expect(allowedHosts('127.0.0.1', port, ['Tutorial.lan']).has('tutorial.lan:4321')).toBe(true);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.5', false],
    ['example.org', false],
  ])('%s: %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});
