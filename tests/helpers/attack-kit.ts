import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';
import { TestClient } from './ws-client.ts';

/**
 * What every attack test file needs: a list of undo steps run after each test (last first), a
 * scratch folder, a server on the attack fixtures and a client of it, each undone by that list.
 * Call it once at the top of a test file.
 */
export function attackKit(prefix: string, contentDir?: string) {
  const cleanup: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  function scratch(): string {
    const d = mkdtempSync(join(tmpdir(), `${prefix}-`));
    cleanup.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  }

  async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
    const s = await startTestServer({ ...(contentDir ? { contentDir } : {}), ...options });
    cleanup.push(() => s.dispose());
    return s;
  }

  async function client(s: TestServer): Promise<TestClient> {
    const c = await TestClient.open(s);
    cleanup.push(() => c.close());
    return c;
  }

  return { cleanup, scratch, server, client };
}
