import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { ServerMessage } from '../protocol/messages.ts';
import { runCheck } from './checks/engine.ts';
import { COMPOSE_DIR, CONTENT_DIR, DIST_DIR, REPO_ROOT, WORKSPACE_TEMPLATE } from './paths.ts';
import { type Endpoints, loadEndpoints } from './stack/endpoints.ts';
import { StackStatus } from './stack/status.ts';
import { SessionManager } from './terminal/session-manager.ts';
import { loadContentIndex } from './tutorial/content-index.ts';
import { ProgressStore } from './tutorial/progress.ts';
import { type ContentIndex, StepController } from './tutorial/step-controller.ts';
import { createHttpHandler } from './web/http.ts';
import { progressSummary } from './web/progress-api.ts';
import { allowedHosts, allowedOrigins, BEHIND_PROXY, type HostPolicy, newToken } from './web/security.ts';
import { TerminalSockets } from './web/sockets.ts';
import { removeStaleSocket } from './web/unix-socket.ts';

export interface TutorialServerOptions {
  host: string;
  /**
   * Listen on this Unix socket instead of host:port (workshop mode, behind jupyter-server-proxy):
   * the socket is made 0600 and any Host is accepted (see BEHIND_PROXY in web/security.ts).
   */
  socket?: string;
  /** 0 picks a free port. */
  port: number;
  workspace: string;
  stateDir: string;
  contentDir?: string;
  distDir?: string;
  endpoints?: Endpoints;
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
 * Copies the workspace template, and the stack's compose/ folder as ./compose, into the
 * learner's folder. Files that are already there are never overwritten: they may be the
 * learner's own edits.
 */
export function prepareWorkspace(workspace: string): void {
  mkdirSync(workspace, { recursive: true });
  if (existsSync(WORKSPACE_TEMPLATE)) cpSync(WORKSPACE_TEMPLATE, workspace, { recursive: true, force: false, errorOnExist: false });
  if (existsSync(COMPOSE_DIR)) cpSync(COMPOSE_DIR, join(workspace, 'compose'), { recursive: true, force: false, errorOnExist: false });
}

/**
 * Starts the tutorial's one process: the built site, the terminal websocket, the shells, the
 * checks and the progress store, on one port. Resolves when it listens.
 */
export async function startTutorialServer(o: TutorialServerOptions): Promise<TutorialServer> {
  const log = o.log ?? ((line: string) => console.log(line));
  const endpoints = o.endpoints ?? loadEndpoints();
  const content = loadContentIndex(o.contentDir ?? CONTENT_DIR);
  mkdirSync(o.stateDir, { recursive: true });
  prepareWorkspace(o.workspace);
  const progress = ProgressStore.open(o.stateDir, log);
  const token = newToken();

  const venvBin = join(o.workspace, '.venv', 'bin');
  const checkEnv = (): NodeJS.ProcessEnv =>
    existsSync(venvBin)
      ? { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}`, VIRTUAL_ENV: join(o.workspace, '.venv') }
      : process.env;

  const sessions = new SessionManager({
    stateDir: o.stateDir,
    workspace: o.workspace,
    env: process.env,
    maxSessions: o.maxSessions ?? 12,
    idleGraceMs: o.idleGraceMs ?? 30 * 60_000,
    replayLimit: o.replayLimit ?? 256 * 1024,
  });

  let sockets: TerminalSockets | undefined;
  const broadcast = (m: ServerMessage) => sockets?.broadcast(m);
  const controller = new StepController({
    sessions,
    content,
    progress,
    broadcast,
    runCheck: (step, marker) => runCheck(step.check, { workspace: o.workspace, endpoints, env: checkEnv(), ...(marker ? { marker } : {}) }),
  });

  const server: Server = createServer();
  if (o.socket) await removeStaleSocket(o.socket);
  // Listen first: the port decides the allowed Host and Origin values.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if (o.socket) server.listen(o.socket, listening);
    else server.listen(o.port, o.host, listening);
  });
  if (o.socket) chmodSync(o.socket, 0o600);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const hosts: HostPolicy = o.socket ? BEHIND_PROXY : allowedHosts(o.host, port, o.extraHosts);
  const stack = new StackStatus(endpoints, (services) => broadcast({ type: 'stack-status', services }), o.stackStatusSeconds ?? 5);
  sockets = new TerminalSockets({
    sessions,
    controller,
    token,
    hosts,
    origins: hosts === BEHIND_PROXY ? new Set() : allowedOrigins(hosts),
    heartbeatMs: o.heartbeatMs ?? 15_000,
    maxBadMessages: 20,
    maxMessagesPerSecond: 500,
    greet: () => {
      stack.wake();
      return stack.last ? [{ type: 'stack-status', services: stack.last }] : [];
    },
    log,
  });
  server.on(
    'request',
    createHttpHandler({
      distDir: o.distDir ?? DIST_DIR,
      token,
      hosts,
      version: packageVersion(),
      // Workshop mode: the hub's progress service reads it through the learner's Jupyter server.
      ...(o.socket ? { progress: () => progressSummary(content, controller.progress()) } : {}),
    }),
  );
  server.on('upgrade', (req, socket, head) => sockets?.handleUpgrade(req, socket, head));
  stack.setActive(() => (sockets?.clientCount ?? 0) > 0);

  const displayHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: o.socket ? `unix:${o.socket}` : `http://${displayHost}:${port}/`,
    port,
    token,
    sessions,
    controller,
    content,
    close() {
      closing ??= (async () => {
        stack.stop();
        // Every socket closes (cut after a short grace) and every shell ends with its process tree.
        await Promise.all([sockets?.close(), sessions.closeAll()]);
        await progress.flush();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      })();
      return closing;
    },
  };
}
