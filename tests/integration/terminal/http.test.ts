import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR } from '../../../server/paths.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');

describe('HTTP handler', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('answers /healthz with ok and the version', async () => {
    const res = await fetch(`${server.url}healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('refuses a request for a foreign Host with 403 (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/healthz', headers: { Host: `evil.example:${server.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('puts the token and the security headers on every HTML page of the built site, for the signed-in browser', async () => {
    const pages: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.html')) pages.push(`/${relative(DIST_DIR, join(d, e.name)).replaceAll('\\', '/')}`);
      }
    };
    walk(DIST_DIR);
    expect(pages.length, 'dist/ has no pages: run `npx astro build` first').toBeGreaterThan(0);
    // A path that is no page gets the 404 page, which must carry the same.
    for (const path of [...pages.map((p) => p.replace(/index\.html$/, '')), '/no-such-page/']) {
      const res = await fetch(new URL(path, server.url), { headers: { Cookie: server.cookie } });
      const html = await res.text();
      expect(html, path).toContain(`<meta name="tutorial-token" content="${server.token}"/>`);
      expect(html, path).not.toContain('__TUTORIAL_TOKEN__');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'self'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });
});

describe('HTTP handler with a base path (--base /user/ada/tutorial/), on a port', () => {
  const BASE = '/user/ada/tutorial/';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT, base: BASE });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('serves under the base and prints its address and login link there', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}${BASE}`);
    expect(server.loginUrl()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}${BASE}login\\?key=`));
  });

  it('still asks for the session cookie, and says how to get in with a link under the base', async () => {
    const res = await fetch(new URL(BASE, server.url));
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).not.toContain(server.token);
    expect(html).toContain(`${BASE}login?key=`);
  });

  it('serves a page under the base, and the same page where a proxy stripped the base', async () => {
    for (const path of [BASE, '/']) {
      const res = await fetch(new URL(path, server.url), { headers: { Cookie: server.cookie } });
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain(server.token);
    }
  });

  it('signs a browser in from the link under the base and sends it on to the base', async () => {
    const res = await fetch(server.loginUrl());
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()[0]).toMatch(/HttpOnly; SameSite=Strict/);
    expect(await res.text()).toContain(`url=${BASE}"`);
  });
});
