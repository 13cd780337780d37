import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { MAX_CLIENT_FRAME, type ServerMessage } from '../../protocol/messages.ts';
import { PageSocket, type PageSocketOptions } from './page-socket.ts';
import { checkUpgrade } from './security.ts';

export interface TerminalSocketOptions extends PageSocketOptions {
  token: string;
  hosts: Set<string>;
  origins: Set<string>;
  /** Milliseconds between heartbeats; a socket that missed one is closed. */
  heartbeatMs: number;
  /** Called with the first message of every open socket (the stack status, say). */
  greet?: () => ServerMessage[];
}

/** Close code (RFC 6455): going away (server shutdown). */
const GOING_AWAY = 1001;
/** A socket that has not finished the closing handshake this long after shutdown began is cut. */
const CLOSE_GRACE_MS = 500;

/**
 * The terminal websocket at /ws: checks every upgrade before it happens, then gives each socket
 * to a PageSocket (its chapter's shell and its messages), and keeps the open sockets alive with a
 * heartbeat, broadcasts to them, and closes them on shutdown.
 */
export class TerminalSockets {
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #alive = new WeakSet<WebSocket>();
  #closed = false;

  constructor(private readonly o: TerminalSocketOptions) {
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME, perMessageDeflate: false });
    this.#heartbeat = setInterval(() => this.#beat(), o.heartbeatMs);
    this.#heartbeat.unref();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Handles an HTTP upgrade request. Everything is checked before the handshake. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    // Threats: another site's page in the learner's browser (cross-site websocket hijacking:
    // Origin), a foreign name resolving to 127.0.0.1 (DNS rebinding: Host), anything that is not
    // our own page (token). A refusal is a bare 403, nothing else.
    const refusal =
      path !== '/ws'
        ? { status: 403 as const, reason: 'not /ws' }
        : this.#closed
          ? { status: 403 as const, reason: 'the server is shutting down' }
          : checkUpgrade(req, this.o.hosts, this.o.origins, this.o.token);
    if (refusal) {
      this.o.log(`refused a websocket: ${refusal.reason}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  /** Sends a message to every open socket. */
  broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.#clients) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  /**
   * Closes every socket (server shutdown) and resolves when all are closed. A page that does not
   * answer the closing handshake is cut after a short grace: the HTTP server's close() waits for
   * every upgraded connection, and ws would otherwise wait 30 seconds for it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const open = [...this.#clients];
    const closed = open.map(
      (ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))),
    );
    for (const ws of open) ws.close(GOING_AWAY, 'The tutorial server is shutting down.');
    const cut = setTimeout(() => {
      for (const ws of open) ws.terminate();
    }, CLOSE_GRACE_MS);
    await Promise.all(closed);
    clearTimeout(cut);
    this.#wss.close();
  }

  #beat(): void {
    for (const ws of this.#clients) {
      if (!this.#alive.has(ws)) {
        // No pong since the last ping: the network or the page is gone.
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }

  #accept(ws: WebSocket): void {
    this.#clients.add(ws);
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    const page = new PageSocket(ws, this.o);
    for (const m of this.o.greet?.() ?? []) page.send(m);
    page.send({ type: 'progress', progress: this.o.controller.progress() });
    ws.on('message', (raw, isBinary) => page.receive(raw as Buffer, isBinary));
    ws.on('close', () => {
      this.#clients.delete(ws);
      page.closed();
    });
    ws.on('error', () => ws.terminate());
  }
}
