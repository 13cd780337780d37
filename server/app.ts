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
  // Listen first: the port decides the allowed Host and Origin values.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const hosts = allowedHosts(o.host, port, o.extraHosts);
  const restart = startCommand({ host: o.host, port, workspace: o.workspace, stateDir: o.stateDir });
  const stack = new StackStatus(endpoints, (services) => runtime.announce({ type: 'stack-status', services }), o.stackStatusSeconds ?? 5);
  const sockets = new TerminalSockets({
    sessions: runtime.sessions,
    controller: runtime.controller,
    needs: runtime.needs,
    token,
    hosts,
    origins: allowedOrigins(hosts),
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
  server.on('request', createHttpHandler({ distDir: o.distDir ?? DIST_DIR, token, hosts, version: packageVersion() }));
  server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head));
  stack.setActive(() => sockets.clientCount > 0);

  const displayHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${displayHost}:${port}/`,
    port,
    token,
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
