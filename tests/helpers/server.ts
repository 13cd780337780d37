import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTutorialServer, type TutorialServer, type TutorialServerOptions } from '../../server/app.ts';
import { DEFAULT_ENDPOINTS } from '../../server/stack/endpoints.ts';

export interface TestServer extends TutorialServer {
  stateDir: string;
  workspace: string;
  /** Stops the server and removes its state folder. */
  dispose(): Promise<void>;
}

/**
 * Starts the real tutorial server on a free port with a fresh state folder and workspace:
 * the one fixture factory of the integration and e2e tiers.
 */
export async function startTestServer(options: Partial<TutorialServerOptions> = {}): Promise<TestServer> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'tutorial-test-'));
  const workspace = options.workspace ?? join(stateDir, 'workspace');
  const server = await startTutorialServer({
    host: '127.0.0.1',
    port: 0,
    stateDir,
    workspace,
    // No stack runs in most tests: point every service at a closed port so status is quick.
    endpoints: {
      ...DEFAULT_ENDPOINTS,
      es: 'http://127.0.0.1:1',
      kibana: 'http://127.0.0.1:1',
      mlflow: 'http://127.0.0.1:1',
      adminer: 'http://127.0.0.1:1',
      fluentd_monitor: 'http://127.0.0.1:1',
      fluentd: { host: '127.0.0.1', port: 1 },
    },
    log: () => {},
    ...options,
  });
  return {
    ...server,
    stateDir,
    workspace,
    async dispose() {
      await server.close();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
