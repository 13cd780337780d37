import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allowedHosts, allowedOrigins, checkUpgrade, newToken, tokensEqual } from '../../../server/web/security.ts';

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
  const req = (headers: Record<string, string>, url = `/ws?token=${token}`) => ({ url, headers }) as unknown as IncomingMessage;
  const own = { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` };

  it('accepts our own page by each of its names', () => {
    expect(checkUpgrade(req(own), hosts, origins, token)).toBeUndefined();
    expect(checkUpgrade(req({ host: `localhost:${port}`, origin: `http://localhost:${port}` }), hosts, origins, token)).toBeUndefined();
    expect(checkUpgrade(req({ host: `[::1]:${port}`, origin: `http://[::1]:${port}` }), hosts, origins, token)).toBeUndefined();
  });

  it.each([
    ['a foreign Host', { ...own, host: `evil.example:${port}` }, /host "evil.example:4321"/],
    ['a Host on another port', { ...own, host: '127.0.0.1:80' }, /host/],
    ['no Host', { origin: own.origin }, /host/],
    ['a foreign Origin', { ...own, origin: 'http://evil.example' }, /origin "http:\/\/evil.example"/],
    ['an https Origin', { ...own, origin: `https://127.0.0.1:${port}` }, /origin/],
    ['the null Origin', { ...own, origin: 'null' }, /origin "null"/],
    ['no Origin', { host: own.host }, /origin null/],
  ])('refuses %s', (_what, headers, reason) => {
    expect(checkUpgrade(req(headers as Record<string, string>), hosts, origins, token)).toEqual({
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
    expect(checkUpgrade(req(own, url), hosts, origins, token)).toEqual({ status: 403, reason: 'missing or wrong token' });
  });

  it('does not allow the wildcard listen address as a Host', () => {
    const wild = allowedHosts('0.0.0.0', port);
    expect(wild.has(`0.0.0.0:${port}`)).toBe(false);
    expect(wild.has(`127.0.0.1:${port}`)).toBe(true);
  });
});
