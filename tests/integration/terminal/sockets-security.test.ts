import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { ownOrigin, TestClient, upgradeStatus } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');

describe('TerminalSockets upgrade checks', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const good = () => ({ Host: `127.0.0.1:${server.port}`, Origin: ownOrigin(server.port), Cookie: server.cookie });
  const path = (token?: string) => (token === undefined ? '/ws' : `/ws?token=${encodeURIComponent(token)}`);

  it('accepts our own page: allowed Host, own Origin, the session cookie, the right token', async () => {
    expect(await upgradeStatus(server.port, good(), path(server.token))).toBe(101);
    expect(
      await upgradeStatus(
        server.port,
        { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}`, Cookie: server.cookie },
        path(server.token),
      ),
    ).toBe(101);
  });

  it.each([
    ['a foreign Origin', { Origin: 'http://evil.example' }],
    ['an Origin on another port of 127.0.0.1', { Origin: 'http://127.0.0.1:1' }],
    ['no Origin', { Origin: undefined }],
    ['the "null" Origin (sandboxed frames, file: pages)', { Origin: 'null' }],
    ['a foreign Host (DNS rebinding)', { Host: 'evil.example:PORT' }],
    ['the Host [::1], on which the server does not listen', { Host: '[::1]:PORT', Origin: 'http://[::1]:PORT' }],
    ['no session cookie', { Cookie: undefined }],
    [
      'a session cookie of another port',
      { Cookie: 'tutorial-session-1=v1.abc.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    ],
  ])('refuses an upgrade with %s with 403', async (_what, change) => {
    const headers: Record<string, string | undefined> = { ...good() };
    for (const [k, v] of Object.entries(change)) headers[k] = v?.replace('PORT', String(server.port));
    expect(await upgradeStatus(server.port, headers, path(server.token))).toBe(403);
  });

  it('refuses an upgrade with a missing, empty or wrong token with 403', async () => {
    expect(await upgradeStatus(server.port, good(), path())).toBe(403);
    expect(await upgradeStatus(server.port, good(), path(''))).toBe(403);
    // The last character changed (to one it is not: a random token ends in `x` one time in 64).
    const other = server.token.endsWith('x') ? 'y' : 'x';
    expect(await upgradeStatus(server.port, good(), path(`${server.token.slice(0, -1)}${other}`))).toBe(403);
    expect(await upgradeStatus(server.port, good(), path(`${server.token}x`))).toBe(403);
  });

  it('refuses an upgrade on any path but /ws with 403', async () => {
    expect(await upgradeStatus(server.port, good(), `/other?token=${server.token}`)).toBe(403);
  });

  it('the ws client is refused the same way, and no socket stays open', async () => {
    await expect(TestClient.open(server, { origin: 'http://evil.example' })).rejects.toThrow('refused with 403');
    await expect(TestClient.open(server, { token: 'wrong' })).rejects.toThrow('refused with 403');
    await expect(TestClient.open(server, { cookie: null })).rejects.toThrow('refused with 403');
  });
});
