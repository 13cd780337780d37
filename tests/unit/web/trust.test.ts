import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkHost, checkUpgrade } from '../../../server/web/security.ts';
import { trustBehindProxy, trustOnPort } from '../../../server/web/trust.ts';

const token = 'the-token-of-this-start';
const req = (headers: Record<string, string>, url = `/ws?token=${token}`) => ({ url, headers }) as unknown as IncomingMessage;

describe('trustOnPort (npm start on the learner machine)', () => {
  const trust = trustOnPort({ address: '127.0.0.1', port: 4321, key: Buffer.alloc(32, 7), url: 'http://127.0.0.1:4321/', token });
  const own = { host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321' };
  const cookie = () => trust.login?.sessions.setCookie().split(';')[0] ?? '';

  it('has a login link and asks every upgrade for the session cookie it sets', () => {
    expect(trust.login?.links.url()).toMatch(/^http:\/\/127\.0\.0\.1:4321\/login\?key=/);
    expect(checkUpgrade(req(own), trust)).toEqual({ status: 403, reason: 'no valid session cookie' });
    expect(checkUpgrade(req({ ...own, cookie: cookie() }), trust)).toBeUndefined();
  });

  it('answers only to the names of the address it listens on (threat: DNS rebinding)', () => {
    expect(checkHost(req({ host: 'hub.example.org' }), trust.hosts)).toBeDefined();
    expect(checkUpgrade(req({ host: 'hub.example.org', origin: 'https://hub.example.org', cookie: cookie() }), trust)).toMatchObject({
      status: 403,
    });
  });
});

describe('trustBehindProxy (workshop mode: a Unix socket behind jupyter-server-proxy)', () => {
  const trust = trustBehindProxy(token);

  it("has no login link and asks for no cookie: Jupyter's login and the socket's permissions let the learner in", () => {
    expect(trust.login).toBeUndefined();
    expect(trust.signedIn(req({}))).toBe(true);
    expect(checkUpgrade(req({ host: 'hub.example.org', origin: 'https://hub.example.org' }), trust)).toBeUndefined();
  });

  it("accepts the hub's public name, whatever it is", () => {
    expect(checkHost(req({ host: 'hub.example.org' }), trust.hosts)).toBeUndefined();
    expect(checkUpgrade(req({ host: '127.0.0.1:8000', origin: 'http://127.0.0.1:8000' }), trust)).toBeUndefined();
  });

  it.each([
    [
      'another site (threat: cross-site websocket hijacking with the hub cookie)',
      { host: 'hub.example.org', origin: 'https://evil.example' },
    ],
    ['another port of the same name', { host: 'hub.example.org', origin: 'https://hub.example.org:444' }],
    ['no Origin', { host: 'hub.example.org' }],
    ['the null Origin', { host: 'hub.example.org', origin: 'null' }],
    ['no Host to compare the Origin with', { origin: 'http://' }],
  ])('refuses an upgrade from %s', (_what, headers) => {
    expect(checkUpgrade(req(headers), trust)).toEqual({ status: 403, reason: expect.stringMatching(/^origin/) });
  });

  it('still asks for the token of its page (threat: a page that is not ours, of this start)', () => {
    const own = { host: 'hub.example.org', origin: 'https://hub.example.org' };
    expect(checkUpgrade(req(own, '/ws'), trust)).toEqual({ status: 403, reason: 'missing or wrong token' });
    expect(checkUpgrade(req(own, '/ws?token=wrong'), trust)).toEqual({ status: 403, reason: 'missing or wrong token' });
  });
});
