import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTutorialServer, type TutorialServer, type TutorialServerOptions } from '../../server/app.ts';
import { DEFAULT_ENDPOINTS } from '../../server/stack/endpoints.ts';

export interface TestServer extends Omit<TutorialServer, 'loginUrl'> {
  stateDir: string;
  workspace: string;
  /** The current login link (it throws for a server on a Unix socket, which has none). */
  loginUrl(): string;
  /**
   * The session cookie (`name=value`) of a browser signed in with the first login link, for the
   * tests' own HTTP requests and websockets; a browser signs in with `loginUrl()`. Empty for a
   * server on a Unix socket (Jupyter's login stands in for it there).
   */
  cookie: string;
  /** Stops the server and removes its state folder. */
  dispose(): Promise<void>;
}

/**
 * The state folders this process made: a test that only closes its server (to start another on the
 * same folder, say) leaves its folder to the exit of the test file's process, not in /tmp for good.
 */
const made = new Set<string>();
let removedAtExit = false;
const madeStateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tutorial-test-'));
  // One listener for the process: the set empties and fills again as tests end and start.
  if (!removedAtExit) process.once('exit', () => made.forEach(removeStateDir));
  removedAtExit = true;
  made.add(dir);
  return dir;
};
const removeStateDir = (dir: string) => {
  made.delete(dir);
  rmSync(dir, { recursive: true, force: true });
};

/**
 * Starts the real tutorial server on a free port with a fresh state folder and workspace:
 * the one fixture factory of the integration and e2e tiers.
 */
export async function startTestServer(options: Partial<TutorialServerOptions> = {}): Promise<TestServer> {
  const stateDir = options.stateDir ?? madeStateDir();
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
      s3: 'http://127.0.0.1:1',
      fluentd: { host: '127.0.0.1', port: 1 },
    },
    log: () => {},
    // The tiers' shell is bash whatever the developer's login shell is; tests of zsh ask for it.
    shell: 'bash',
    ...options,
  }).catch((error: unknown) => {
    // A test of a refused start leaves no folder behind either.
    if (!options.stateDir) removeStateDir(stateDir);
    throw error;
  });
  const loginUrl = server.loginUrl;
  return {
    ...server,
    stateDir,
    workspace,
    loginUrl() {
      if (!loginUrl) throw new Error(`The server on ${server.url} has no login link (it is behind a proxy).`);
      return loginUrl();
    },
    cookie: loginUrl ? await signIn(loginUrl()) : '',
    async dispose() {
      await server.close();
      if (!options.stateDir) removeStateDir(stateDir);
    },
  };
}

/**
 * Opens a login link as a browser would and returns the session cookie it sets (`name=value`).
 * On a connection of its own: fetch keeps connections alive per address, and after a server
 * restart on the same port it could send the request down the old server's closed connection.
 */
export function signIn(loginUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(loginUrl, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        const cookie = (res.headers['set-cookie'] ?? [])[0]?.split(';')[0];
        if (res.statusCode !== 200 || !cookie) reject(new Error(`Signing in with ${loginUrl} gave ${res.statusCode} and no cookie.`));
        else resolve(cookie);
      });
    });
    req.on('error', reject);
  });
}
