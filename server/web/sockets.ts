import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { MAX_CLIENT_FRAME, type ServerMessage } from '../../protocol/messages.ts';
import { LogSummary } from './log-summary.ts';
import { PageSocket, type PageSocketOptions } from './page-socket.ts';
import { checkUpgrade, type UpgradeRules } from './security.ts';

export interface TerminalSocketOptions extends PageSocketOptions, UpgradeRules {
  /** The site's base path (default "/"): the socket is at <base>ws, or at /ws where a proxy stripped it. */
  base?: string;
  /** Open sockets at most; one more is closed at once with a reason (each tab holds one). */
  maxSockets: number;
  /** Milliseconds between heartbeats; a socket that missed one is closed. */
  heartbeatMs: number;
  /** Called with the first message of every open socket (the stack status, say). */
  greet?: () => ServerMessage[];
}

/** Close code (RFC 6455): going away (server shutdown). */
const GOING_AWAY = 1001;
/** Close code (RFC 6455 registry): try again later (too many sockets). */
const TRY_AGAIN_LATER = 1013;
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
  /** Any web page can make the browser try a socket: refusals are summed up, not each logged. */
  readonly #refusals: LogSummary;

  constructor(private readonly o: TerminalSocketOptions) {
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME, perMessageDeflate: false });
    this.#refusals = new LogSummary(o.log, 'refused a websocket');
    this.#heartbeat = setInterval(() => this.#beat(), o.heartbeatMs);
    this.#heartbeat.unref();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * Handles an HTTP upgrade request. Everything is checked before the handshake. The socket gets
   * an error handler first: Node hands it over without one, and a client that resets the
   * connection while we answer (ECONNRESET on the write) would otherwise end the process, and
   * every learner's shell with it.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    const base = this.o.base ?? '/';
    // Threats: another site's page in the learner's browser (cross-site websocket hijacking:
    // Origin), a foreign name resolving to 127.0.0.1 (DNS rebinding: Host), another program or
    // user of this machine, or the network under --host (the session cookie), anything that is
    // not our own page of this start (token). Behind jupyter-server-proxy, Jupyter's login takes
    // the cookie's place (web/trust.ts). A refusal is a bare 403, nothing else.
    const refusal =
      path !== '/ws' && path !== `${base}ws`
        ? { status: 403 as const, reason: 'not /ws' }
        : this.#closed
          ? { status: 403 as const, reason: 'the server is shutting down' }
          : checkUpgrade(req, this.o);
    if (refusal) {
      this.#refusals.note(refusal.reason);
      // Ended and then destroyed, so a client that never closes its side holds nothing here.
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.#clients.size >= this.o.maxSockets) {
        // After the handshake, so that the page can read why.
        ws.on('error', () => ws.terminate());
        ws.close(TRY_AGAIN_LATER, `Too many tutorial tabs are open (${this.o.maxSockets}); close one and this one reconnects.`);
        this.#refusals.note(`${this.o.maxSockets} sockets are open already`);
        return;
      }
      this.#accept(ws);
    });
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
    this.#refusals.close();
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
