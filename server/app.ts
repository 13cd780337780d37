import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { ServerMessage } from '../protocol/messages.ts';
import { CONTENT_DIR, DIST_DIR, REPO_ROOT, startCommand } from './paths.ts';
import { type EndpointsSource, endpointsNow, watchEndpoints } from './stack/endpoints.ts';
import { StackStatus } from './stack/status.ts';
import type { SessionManager } from './terminal/session-manager.ts';
import type { ShellName } from './terminal/shell-choice.ts';
import { type ContentIndex, loadContentIndex } from './tutorial/content.ts';
import { TutorialRuntime } from './tutorial/runtime.ts';
import type { StepController } from './tutorial/step-controller.ts';
import { createHttpHandler } from './web/http.ts';
import { HEADERS_TOO_LARGE } from './web/pages.ts';
import { progressSummary } from './web/progress-api.ts';
import { newToken } from './web/security.ts';
import { loadSessionKey } from './web/session-key.ts';
import { TerminalSockets } from './web/sockets.ts';
import { type Trust, trustBehindProxy, trustOnPort } from './web/trust.ts';
import { listenOnSocket } from './web/unix-socket.ts';

export interface TutorialServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Listen on this Unix socket instead of host:port (workshop mode, behind jupyter-server-proxy):
   * its folder must be private, the socket is made 0600, and the rules of who gets in are the
   * proxy's (trustBehindProxy in web/trust.ts): no login link, no cookie, any Host.
   */
  socket?: string;
  /**
   * The path the site is built for and served under (default "/"); a proxy that serves it there
   * may strip it before forwarding or not (workshop mode: /user/<name>/tutorial/).
   */
  base?: string;
  workspace: string;
  stateDir: string;
  contentDir?: string;
  distDir?: string;
  /** Where the services are; by default the workspace's compose/.env, read again when it changes. */
  endpoints?: EndpointsSource;
  /** A shell with no page attached ends after this long (default 30 minutes). */
  idleGraceMs?: number;
  maxSessions?: number;
  /** The terminals' shell (`--shell`); by default the learner's own when it is zsh, else bash. */
  shell?: ShellName;
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
   * one (also logged). None on a Unix socket, where Jupyter's login lets the learner in.
   */
  loginUrl: (() => string) | undefined;
  /** The names (host:port) the server answers to; none on a Unix socket (any Host). */
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
    shells: {
      maxSessions: o.maxSessions ?? 12,
      idleGraceMs: o.idleGraceMs ?? 30 * 60_000,
      replayLimit: o.replayLimit ?? 256 * 1024,
      ...(o.shell ? { shell: o.shell } : {}),
    },
    log,
  });
  // Read them now (the runtime has prepared the workspace's compose/.env): a bad port stops the start with its line.
  endpointsNow(endpoints);
  const token = newToken();
  const base = o.base ?? '/';
  const server: Server = createServer();
  let sessionKey: Buffer | undefined;
  try {
    if (o.socket) await listenOnSocket(server, o.socket);
    else {
      // Read (or made) before listening: a key file that cannot be trusted stops the start.
      sessionKey = loadSessionKey(o.stateDir);
      // Listen first: the port decides the allowed Host and Origin values.
      await listenOnPort(server, o.port, o.host);
    }
  } catch (err) {
    // A start that fails gives the state folder's lock back.
    await runtime.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const listening = typeof address === 'object' && address ? address.address : o.host;
  const displayHost = listening === '0.0.0.0' || listening === '::' ? '127.0.0.1' : listening.includes(':') ? `[${listening}]` : listening;
  const url = o.socket ? `unix:${o.socket}` : `http://${displayHost}:${port}${base}`;
  // Who gets in is decided here, once, by how the server listens: on a Unix socket behind
  // jupyter-server-proxy, or on a port (web/trust.ts names the threats of each).
  const trust: Trust = o.socket
    ? trustBehindProxy(token)
    : trustOnPort({ address: listening, port, extraHosts: o.extraHosts, key: sessionKey ?? loadSessionKey(o.stateDir), url, token });
  const links = trust.login?.links;
  // A second server on the same state folder names this address when it is refused.
  runtime.lock.describe(url);
  const restart = startCommand({ host: o.host, port, socket: o.socket, base, workspace: o.workspace, stateDir: o.stateDir });
  const stack = new StackStatus(endpoints, (services) => runtime.announce({ type: 'stack-status', services }), o.stackStatusSeconds ?? 5);
  const sockets = new TerminalSockets({
    sessions: runtime.sessions,
    controller: runtime.controller,
    needs: runtime.needs,
    ...trust,
    base,
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
      trust,
      base,
      version: packageVersion(),
      onSignIn: (from) => log(`A browser signed in from ${from}. The next browser signs in with: ${links?.url()}`),
      // Workshop mode: the workspace's progress reporter reads it from the socket for the hub.
      ...(o.socket ? { progress: () => progressSummary(runtime.content, runtime.controller.progress()) } : {}),
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
    if (err.code === 'HPE_HEADER_OVERFLOW' && socket.writable) socket.end(HEADERS_TOO_LARGE, () => socket.destroy());
    else if (err.code !== 'ECONNRESET' && socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', () => socket.destroy());
    else socket.destroy();
  });
  stack.setActive(() => sockets.clientCount > 0);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    loginUrl: links ? () => links.url() : undefined,
    hosts: trust.hosts instanceof Set ? [...trust.hosts] : [],
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

/** Listens on `host`:`port` (0 picks a free port). */
function listenOnPort(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
