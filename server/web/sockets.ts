import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ClientMessage, ClientMessageSchema, MAX_CLIENT_FRAME, type ServerMessage } from '../../protocol/messages.ts';
import { SessionError, type SessionManager, type SessionSink, type TerminalSession } from '../terminal/session-manager.ts';
import { RequestError, type StepController } from '../tutorial/step-controller.ts';
import { checkUpgrade, type HostPolicy } from './security.ts';

export interface TerminalSocketOptions {
  sessions: SessionManager;
  controller: StepController;
  token: string;
  hosts: HostPolicy;
  origins: Set<string>;
  /** Milliseconds between heartbeats; a socket that missed one is closed. */
  heartbeatMs: number;
  /** Bad messages a socket may send before it is closed. */
  maxBadMessages: number;
  /** Messages per second a socket may send (a burst of twice this is allowed). */
  maxMessagesPerSecond: number;
  /** Called with the first message of every open socket (the stack status, say). */
  greet?: () => ServerMessage[];
  log: (line: string) => void;
}

/** Close codes (RFC 6455): going away (server shutdown), policy violation. */
const GOING_AWAY = 1001;
const POLICY = 1008;
/** A socket that has not finished the closing handshake this long after shutdown began is cut. */
const CLOSE_GRACE_MS = 500;
/** An ack frame is about 35 bytes; anything bigger is not one. */
const MAX_ACK_FRAME = 64;

/**
 * The terminal websocket at /ws: checks every upgrade before it happens, then attaches each
 * socket to a chapter's shell and carries keystrokes, output (binary frames) and step requests.
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
    let session: TerminalSession | undefined;
    let chapter = '';
    let bad = 0;
    let tokens = this.o.maxMessagesPerSecond * 2;
    let refill = Date.now();
    const send = (m: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const refuse = (code: string, message: string) => {
      send({ type: 'error', code, message });
      if (++bad >= this.o.maxBadMessages) ws.close(POLICY, 'too many bad messages');
    };
    const sink: SessionSink = {
      output: (text) => {
        if (ws.readyState === ws.OPEN) ws.send(Buffer.from(text, 'utf8'));
      },
      // Only the attached socket hears its shell end: the sink is the session's one link to it,
      // so no listener is left behind on a session this socket has left.
      exited: (e) => send({ type: 'exit', chapter, exitCode: e.exitCode, ...(e.signal ? { signal: e.signal } : {}) }),
      detached: (reason) => {
        session = undefined;
        if (reason === 'replaced')
          send({
            type: 'error',
            code: 'taken-over',
            message: "This chapter's terminal was opened in another tab; this one has let go of it.",
          });
      },
    };

    for (const m of this.o.greet?.() ?? []) send(m);
    send({ type: 'progress', progress: this.o.controller.progress() });

    ws.on('message', (raw, isBinary) => {
      // binaryType is ws's default "nodebuffer": every message, fragmented or not, is one Buffer.
      const data = raw as Buffer;
      // A token bucket: a page that floods us with messages is told, then closed. Acks that
      // answer output we sent are free: at 20 MB/s of output the page acks over a thousand
      // times a second, and a dropped ack would stall the shell for good (and a Ctrl-C queued
      // behind spent tokens would be dropped too).
      const now = Date.now();
      tokens = Math.min(this.o.maxMessagesPerSecond * 2, tokens + ((now - refill) / 1000) * this.o.maxMessagesPerSecond);
      refill = now;
      if (!(session && session.unacknowledged > 0 && !isBinary && isAck(data))) {
        if (tokens < 1) {
          refuse('rate-limited', 'The page sent too many messages at once; some were dropped.');
          return;
        }
        tokens -= 1;
      }
      if (isBinary) {
        refuse('bad-message', 'The server accepts only JSON text messages from the page.');
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        refuse('bad-message', 'The message was not valid JSON.');
        return;
      }
      const parsed = ClientMessageSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        refuse(
          'bad-message',
          `The message was not understood: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'}.`,
        );
        return;
      }
      const setSession = (s: TerminalSession | undefined, name: string) => {
        session = s;
        chapter = name;
      };
      this.#handle(parsed.data, { session: () => session, setSession, sink, send }).catch((err: unknown) => {
        if (err instanceof RequestError || err instanceof SessionError) refuse(err.code, err.message);
        else {
          this.o.log(`error while handling ${parsed.data.type}: ${(err as Error).stack ?? String(err)}`);
          send({ type: 'error', code: 'internal', message: 'The server failed to do that; its console shows why.' });
        }
      });
    });

    ws.on('close', () => {
      this.#clients.delete(ws);
      session?.detach(sink);
    });
    ws.on('error', () => ws.terminate());
  }

  async #handle(
    m: ClientMessage,
    c: {
      session(): TerminalSession | undefined;
      setSession(s: TerminalSession | undefined, chapter: string): void;
      sink: SessionSink;
      send(m: ServerMessage): void;
    },
  ): Promise<void> {
    const { controller, sessions } = this.o;
    switch (m.type) {
      case 'attach': {
        controller.find(m.chapter);
        const s = sessions.open(m.chapter, m.cols, m.rows);
        const previous = c.session();
        if (previous !== s) previous?.detach(c.sink);
        c.setSession(s, m.chapter);
        // attach() and the "attached" message happen in one turn: no output can come between
        // the replay and the first live output frame.
        const replay = s.attach(c.sink, m.cols, m.rows);
        c.send({ type: 'attached', chapter: m.chapter, replay });
        return;
      }
      case 'input':
        this.#attached(c.session()).input(m.data);
        return;
      case 'resize':
        this.#attached(c.session()).resize(m.cols, m.rows);
        return;
      case 'ack':
        this.#attached(c.session()).ack(m.bytes);
        return;
      case 'run':
        await controller.run(m.chapter, m.step, m.index);
        return;
      case 'check':
        await controller.check(m.chapter, m.step);
        return;
      case 'run-chapter':
        await controller.runChapter(m.chapter, m.upTo);
        return;
      case 'stop-chapter':
        controller.find(m.chapter);
        controller.stopChapter(m.chapter);
        return;
      case 'reset':
        await controller.reset(m.chapter);
        return;
      default: {
        const unhandled: never = m;
        throw new Error(`Unhandled message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  #attached(s: TerminalSession | undefined): TerminalSession {
    if (!s) throw new RequestError('not-attached', 'This page is not attached to a terminal yet; send "attach" first.');
    return s;
  }
}

/** Whether a small text frame is an ack (checked before the rate limit, so it must be cheap). */
function isAck(data: Buffer): boolean {
  if (data.length > MAX_ACK_FRAME) return false;
  try {
    const m = JSON.parse(data.toString('utf8')) as { type?: unknown };
    return m !== null && typeof m === 'object' && m.type === 'ack';
  } catch {
    return false;
  }
}
