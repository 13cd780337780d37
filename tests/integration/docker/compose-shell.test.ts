import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { TestClient } from '../../helpers/ws-client.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("a chapter's shell", () => {
  it('finds the stack with a plain `docker compose`, from any folder of the workspace', async () => {
    const client = await TestClient.open(server);
    try {
      await client.attach('hello-terminal');
      const here = await client.run('cd logging && docker compose config --services | sort | tr "\\n" " "');
      expect(here).toContain('adminer elasticsearch fluentd kibana mlflow postgres');
      const project = await client.run('docker compose config --format json | grep -o \'"name": *"[a-z]*"\' | head -n 1');
      expect(project).toMatch(/"name": *"dstack"/);
    } finally {
      await client.close();
    }
  });
});
