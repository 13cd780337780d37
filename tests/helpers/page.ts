import { afterEach } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';
import { TestClient } from './ws-client.ts';

/**
 * One page on a real server with real shells, per test: `open(chapter)` starts a server on the
 * content folder and attaches a page to the chapter; both end after each test. `server()` is the
 * current test's server.
 */
export function pageOnServer(contentDir: string): { open(chapter: string): Promise<TestClient>; server(): TestServer } {
  let server: TestServer | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.dispose();
    client = server = undefined;
  });
  return {
    async open(chapter) {
      server = await startTestServer({ contentDir });
      client = await TestClient.open(server);
      await client.attach(chapter);
      return client;
    },
    server() {
      if (!server) throw new Error('No server yet: call open(chapter) first.');
      return server;
    },
  };
}
