import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { ServerMessage } from '../protocol/messages.ts';
import { CONTENT_DIR, DIST_DIR, REPO_ROOT, startCommand } from './paths.ts';
import { type EndpointsSource, endpointsNow, watchEndpoints } from './stack/endpoints.ts';
import { StackStatus } from './stack/status.ts';
import type { SessionManager } from './terminal/session-manager.ts';
import { type ContentIndex, loadContentIndex } from './tutorial/content.ts';
import { TutorialRuntime } from './tutorial/runtime.ts';
import type { StepController } from './tutorial/step-controller.ts';
import { createHttpHandler } from './web/http.ts';
import { allowedHosts, allowedOrigins, newToken } from './web/security.ts';
import { LoginLinks, Sessions } from './web/session.ts';
import { loadSessionKey } from './web/session-key.ts';
import { TerminalSockets } from './web/sockets.ts';

export interface TutorialServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  workspace: string;
  stateDir: string;
  contentDir?: string;
  distDir?: string;
  /** Where the services are; by default the workspace's compose/.env, read again when it changes. */
  endpoints?: EndpointsSource;
  /** A shell with no page attached ends after this long (default 30 minutes). */
  idleGraceMs?: number;
  maxSessions?: number;
  /** Open websockets at most (each tab holds one; default 32). */
  maxSockets?: number;
  replayLimit?: number;
  heartbeatMs?: number;
  /** Seconds between stack status updates while a page is open (0 turns them off). */
  stackStatusSeconds?: number;
  /** Extra Host names to accept (a LAN name, when the learner serves on another address). */
  extraHosts?: string[];
  log?: (line: string) => void;
}

export interface TutorialServer {
  url: string;
  port: number;
  token: string;
  /**
   * The one-time link that signs a browser in, on `url`'s address; after it is used, the next
   * one (also logged).
   */
  loginUrl(): string;
  /** The names (host:port) the server answers to. */
  hosts: string[];
  sessions: SessionManager;
  controller: StepController;
  content: ContentIndex;
  close(): Promise<void>;
}

/** The version in package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Starts the tutorial's one process: the built site, the terminal websocket, the shells, the
 * checks and the progress store, on one port. Resolves when it listens.
 */
export async function startTutorialServer(o: TutorialServerOptions): Promise<TutorialServer> {
  const log = o.log ?? ((line: string) => console.log(line));
  const endpoints = o.endpoints ?? watchEndpoints({ workspace: o.workspace, log });
  const runtime = new TutorialRuntime({
    content: loadContentIndex(o.contentDir ?? CONTENT_DIR),
    workspace: o.workspace,
    stateDir: o.stateDir,
    endpoints,
    shells: { maxSessions: o.maxSessions ?? 12, idleGraceMs: o.idleGraceMs ?? 30 * 60_000, replayLimit: o.replayLimit ?? 256 * 1024 },
    log,
  });
  // Read them now (the runtime has prepared the workspace's compose/.env): a bad port stops the start with its line.
  endpointsNow(endpoints);
  const token = newToken();
  const server: Server = createServer();
  let sessionKey: ReturnType<typeof loadSessionKey>;
  try {
    // Read (or made) before listening: a key file that cannot be trusted stops the start.
    sessionKey = loadSessionKey(o.stateDir);
    // Listen first: the port decides the allowed Host and Origin values.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // A start that fails gives the state folder's lock back.
    await runtime.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const listening = typeof address === 'object' && address ? address.address : o.host;
  const hosts = allowedHosts(listening, port, o.extraHosts);
  const displayHost = listening === '0.0.0.0' || listening === '::' ? '127.0.0.1' : listening.includes(':') ? `[${listening}]` : listening;
  const url = `http://${displayHost}:${port}/`;
  // A second server on the same state folder names this address when it is refused.
  runtime.lock.describe(url);
  const sessions = new Sessions(sessionKey, port);
  const login = new LoginLinks(url);
  const restart = startCommand({ host: o.host, port, workspace: o.workspace, stateDir: o.stateDir });
  const stack = new StackStatus(endpoints, (services) => runtime.announce({ type: 'stack-status', services }), o.stackStatusSeconds ?? 5);
  const sockets = new TerminalSockets({
    sessions: runtime.sessions,
    controller: runtime.controller,
    needs: runtime.needs,
    token,
    hosts,
    origins: allowedOrigins(hosts),
    signedIn: (req) => sessions.signedIn(req),
    maxSockets: o.maxSockets ?? 32,
    heartbeatMs: o.heartbeatMs ?? 15_000,
    maxBadMessages: 20,
    maxMessagesPerSecond: 500,
    greet: () => {
      stack.wake();
      const info: ServerMessage = { type: 'server-info', restart };
      return stack.last ? [info, { type: 'stack-status', services: stack.last }] : [info];
    },
    log,
  });
  runtime.onAnnouncement((message) => sockets.broadcast(message));
  server.on(
    'request',
    createHttpHandler({
      distDir: o.distDir ?? DIST_DIR,
      token,
      hosts,
      version: packageVersion(),
      sessions,
      login,
      onSignIn: (from) => log(`A browser signed in from ${from}. The next browser signs in with: ${login.url()}`),
      log,
    }),
  );
  server.on('upgrade', (req, socket, head) => {
    try {
      sockets.handleUpgrade(req, socket, head);
    } catch (err) {
      // A bug: this connection alone ends.
      log(`error while answering a websocket upgrade: ${(err as Error).stack ?? String(err)}`);
      socket.destroy();
    }
  });
  // A malformed request, or a connection reset before its request was read: that connection
  // ends, quietly (it is not the learner's page), and nothing else.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code !== 'ECONNRESET' && socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', () => socket.destroy());
    else socket.destroy();
  });
  stack.setActive(() => sockets.clientCount > 0);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    loginUrl: () => login.url(),
    hosts: [...hosts],
    sessions: runtime.sessions,
    controller: runtime.controller,
    content: runtime.content,
    close() {
      closing ??= (async () => {
        stack.stop();
        // Every socket closes (cut after a short grace) and every shell ends with its process
        // tree; then the progress is written out.
        await Promise.all([sockets.close(), runtime.close()]);
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      })();
      return closing;
    },
  };
}
