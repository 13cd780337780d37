import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { FLOW, type ServerMessage } from '../../protocol/messages.ts';
import { pollUntil } from './net.ts';

/**
 * A real `ws` client for the terminal websocket, written the way the page uses it: JSON control
 * frames out, binary output frames in (acknowledged in batches of FLOW.ackEvery unless told
 * not to), JSON messages in. Every wait polls with a deadline; nothing sleeps.
 */

/** Where the server listens and what our own page would send. */
export interface ServerAddress {
  port: number;
  token: string;
  /** The session cookie (`name=value`) of a signed-in browser. */
  cookie?: string;
}

export interface ClientOptions {
  /** Acknowledge output as the page does (default true). */
  autoAck?: boolean;
  /** Answer pings (default true); false plays a page that has gone silent. */
  autoPong?: boolean;
  origin?: string;
  token?: string;
  /** The Cookie header to send (default the server's session cookie; null sends none). */
  cookie?: string | null;
}

export { pollUntil };

/** The Origin our own pages send. */
export function ownOrigin(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export class TestClient {
  readonly ws: WebSocket;
  /** Every JSON message, in order. */
  readonly messages: ServerMessage[] = [];
  /** Every output frame, in order. */
  readonly frames: Buffer[] = [];
  outputBytes = 0;
  /** Bytes written but not yet acknowledged (with autoAck, below FLOW.ackEvery). */
  pendingAck = 0;
  autoAck: boolean;
  closed: { code: number; reason: string } | undefined;
  /** Pings received from the server's heartbeat. */
  pings = 0;
  #textStart = 0;

  private constructor(ws: WebSocket, autoAck: boolean) {
    this.ws = ws;
    this.autoAck = autoAck;
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        this.frames.push(buf);
        this.outputBytes += buf.length;
        this.pendingAck += buf.length;
        if (this.autoAck && this.pendingAck >= FLOW.ackEvery) this.ack();
      } else {
        this.messages.push(JSON.parse(buf.toString('utf8')) as ServerMessage);
      }
    });
    ws.on('ping', () => {
      this.pings += 1;
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {});
  }

  /** Opens a socket to the server with the right Origin and token (unless told otherwise). */
  static async open(server: ServerAddress, options: ClientOptions = {}): Promise<TestClient> {
    const token = options.token ?? server.token;
    const cookie = options.cookie === undefined ? server.cookie : options.cookie;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${encodeURIComponent(token)}`, {
      origin: options.origin ?? ownOrigin(server.port),
      ...(cookie ? { headers: { Cookie: cookie } } : {}),
      autoPong: options.autoPong ?? true,
      // Our own checks must see oversize frames; the server's limit is what is under test.
      maxPayload: 64 * 1024 * 1024,
    });
    const client = new TestClient(ws, options.autoAck ?? true);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`The upgrade was refused with ${res.statusCode}.`)));
      ws.once('error', reject);
    });
    return client;
  }

  /** All output so far, decoded as one UTF-8 stream (a character split across frames is whole here). */
  text(): string {
    return Buffer.concat(this.frames).toString('utf8');
  }

  /** Output since the last call of mark(). */
  textSinceMark(): string {
    return this.text().slice(this.#textStart);
  }

  /** Starts a new window for textSinceMark() and waitForText(). */
  mark(): void {
    this.#textStart = this.text().length;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Acknowledges every byte received so far. */
  ack(): void {
    if (this.pendingAck > 0 && this.ws.readyState === WebSocket.OPEN) {
      this.send({ type: 'ack', bytes: this.pendingAck });
      this.pendingAck = 0;
    }
  }

  /** Attaches to a chapter's shell and waits for its first prompt's end of output to settle. */
  async attach(chapter: string, cols = 100, rows = 30): Promise<Extract<ServerMessage, { type: 'attached' }>> {
    const from = this.messages.length;
    this.send({ type: 'attach', chapter, cols, rows });
    return this.waitFor((m): m is Extract<ServerMessage, { type: 'attached' }> => m.type === 'attached', `"attached" for ${chapter}`, from);
  }

  /** Types keystrokes into the attached shell. */
  input(data: string): void {
    this.send({ type: 'input', data });
  }

  /** Waits for a message matching `match` at index `from` or later, and returns it. */
  async waitFor<M extends ServerMessage>(match: (m: ServerMessage) => m is M, what: string, from?: number, timeoutMs?: number): Promise<M>;
  async waitFor(match: (m: ServerMessage) => boolean, what: string, from?: number, timeoutMs?: number): Promise<ServerMessage>;
  async waitFor(match: (m: ServerMessage) => boolean, what: string, from = 0, timeoutMs = 20_000): Promise<ServerMessage> {
    return pollUntil(() => this.messages.slice(from).find(match), what, timeoutMs);
  }

  /** Waits until the output since mark() matches. */
  async waitForText(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    const what = () =>
      `output matching ${String(pattern)} (the output so far ends with ${JSON.stringify(this.textSinceMark().slice(-300))})`;
    return pollUntil(
      () => {
        const t = this.textSinceMark();
        return (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t)) ? t : undefined;
      },
      what,
      timeoutMs,
    );
  }

  /**
   * Types a command line and waits for a marker it prints last, so the output of the command is
   * complete. Returns the output between the echo of the command line and the marker.
   */
  async run(command: string, timeoutMs = 20_000): Promise<string> {
    const marker = `__done_${randomBytes(4).toString('hex')}__`;
    this.mark();
    // The marker is split in the command line so that its echo does not match.
    const [a, b] = [marker.slice(0, 6), marker.slice(6)];
    this.input(`${command}; printf '%s%s\\n' '${a}' '${b}'\r`);
    const text = await this.waitForText(new RegExp(`${marker}\\r?\\n`), timeoutMs);
    const start = text.indexOf('\n') + 1;
    return text.slice(start, text.lastIndexOf(marker));
  }

  async waitClosed(timeoutMs = 20_000): Promise<{ code: number; reason: string }> {
    return pollUntil(() => this.closed, 'the socket to close', timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close();
    await this.waitClosed().catch(() => this.ws.terminate());
  }
}

/**
 * Sends a websocket upgrade request by hand, so every header is exactly as given (the ws client
 * would fill in Host and leave Origin out), and returns the status: 101 when accepted.
 */
export function upgradeStatus(port: number, headers: Record<string, string | undefined>, path = '/ws'): Promise<number> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    };
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
    // A Host given here replaces the one Node would set from host and port.
    const req = request({ host: '127.0.0.1', port, path, headers: h });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
