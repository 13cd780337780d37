import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import headless from '@xterm/headless';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { FLOW, type ServerMessage } from '../../protocol/messages.ts';
import { killSessionTree, type Shell, spawnShell } from '../../server/terminal/pty.ts';
import { OutputWriter } from '../../src/client/output-writer.ts';
import { until } from './proc.ts';

// @xterm/headless is CommonJS: its named exports are not visible to an ES import.
const { Terminal } = headless;
type Terminal = InstanceType<typeof Terminal>;

/**
 * The three ends a benchmark talks to, behind one interface: keystrokes in, output out, the
 * output written into a headless xterm (as a page would) unless told not to.
 *
 * - `ours`: a `ws` client of our /ws, acknowledging like src/client/connection.ts (after
 *   xterm has written a frame, in batches of FLOW.ackEvery bytes);
 * - `wetty`: a socket.io client of wetty 3.2.0, committing like wetty's own client
 *   (FlowControlClient: every 256 KiB of characters, after xterm wrote them);
 * - `raw`: node-pty alone (through server/terminal/pty.ts, the one module that owns it), in this
 *   process, with no socket: the limit.
 */

export const COLS = 100;
export const ROWS = 30;
/** The prompt every driver sets, so every benchmark can see a command's end the same way. */
export const PROMPT = '__PS1__ ';

export interface Seen {
  /** performance.now() when the chunk with the pattern was written (xterm's write callback). */
  at: number;
  /** Output bytes counted up to and including that chunk. */
  bytes: number;
}

interface Waiter {
  pattern: string;
  buf: string;
  resolve(s: Seen): void;
}

export abstract class Driver {
  abstract readonly name: string;
  term: Terminal | undefined;
  /** Output bytes received (UTF-8, after the pty's \n → \r\n). */
  bytes = 0;
  /** Output chunks received (websocket frames, socket.io events, pty reads). */
  chunks = 0;
  #decoder = new TextDecoder();
  #waiters: Waiter[] = [];

  constructor(readonly useXterm: boolean) {
    this.newTerminal();
  }

  /** A fresh headless xterm (each throughput run starts on an empty one). */
  newTerminal(): void {
    this.term?.dispose();
    this.term = this.useXterm ? new Terminal({ cols: COLS, rows: ROWS, scrollback: 1000, allowProposedApi: true }) : undefined;
  }

  abstract send(data: string): void;
  abstract close(): Promise<void>;

  /** Resolves when output that arrives from now on contains `pattern` and has been written. */
  waitFor(pattern: string, timeoutMs = 120_000): Promise<Seen> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pattern,
        buf: '',
        resolve: (s) => {
          clearTimeout(t);
          resolve(s);
        },
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new Error(`${this.name}: no ${JSON.stringify(pattern)} in the output within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Types a line and waits for the prompt after it. */
  async run(line: string, timeoutMs = 120_000): Promise<void> {
    const p = this.waitFor(PROMPT, timeoutMs);
    this.send(`${line}\r`);
    await p;
  }

  /** Sets the known prompt (its echo does not contain it: the quotes split it). */
  async setPrompt(): Promise<void> {
    await this.run(`PS1='__P''S1__ '`);
  }

  protected feed(chunk: Uint8Array | string, written: () => void): void {
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.length;
    this.chunks += 1;
    const matched: Waiter[] = [];
    if (this.#waiters.length > 0) {
      const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
      for (const w of this.#waiters) {
        const window = w.buf + text;
        if (window.includes(w.pattern)) matched.push(w);
        else w.buf = w.pattern.length > 1 ? window.slice(-(w.pattern.length - 1)) : '';
      }
      if (matched.length > 0) this.#waiters = this.#waiters.filter((w) => !matched.includes(w));
    } else if (typeof chunk !== 'string') {
      // Keep the decoder's state right for the next waiter.
      this.#decoder.decode(chunk, { stream: true });
    }
    const bytes = this.bytes;
    const done = () => {
      written();
      if (matched.length > 0) {
        const at = performance.now();
        for (const w of matched) w.resolve({ at, bytes });
      }
    };
    this.toTerminal(chunk, done);
  }

  /** Hands a chunk to the client's xterm (`done` once written), or straight to `done` without one. */
  protected toTerminal(chunk: Uint8Array | string, done: () => void): void {
    if (this.term) this.term.write(chunk, done);
    else done();
  }
}

/** How our client acknowledges output. */
export type AckMode = { kind: 'page' } | { kind: 'every'; ms: number } | { kind: 'never' };

export class OursDriver extends Driver {
  readonly name = 'ours';
  readonly messages: ServerMessage[] = [];
  #unacked = 0;
  #timer: NodeJS.Timeout | undefined;
  /** As the page: frames that come while xterm parses are written together (src/client/output-writer.ts). */
  #writer: (OutputWriter & { term: Terminal }) | undefined;

  private constructor(
    readonly ws: WebSocket,
    useXterm: boolean,
    readonly ack: AckMode,
  ) {
    super(useXterm);
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) this.feed(buf, () => this.#written(buf.length));
      else this.messages.push(JSON.parse(buf.toString('utf8')) as ServerMessage);
    });
    ws.on('error', () => {});
    if (ack.kind === 'every') this.#timer = setInterval(() => this.#flush(), ack.ms);
  }

  /** Opens a socket as a signed-in page does (its session cookie, Origin and token) and attaches to `chapter`. */
  static async connect(
    server: { port: number; token: string; cookie: string },
    chapter: string,
    o: { xterm: boolean; ack?: AckMode },
  ): Promise<OursDriver> {
    const { port, token, cookie } = server;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`, {
      origin: `http://127.0.0.1:${port}`,
      headers: { Cookie: cookie },
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, res) => reject(new Error(`The upgrade was refused with ${res.statusCode}.`)));
      ws.once('error', reject);
    });
    const d = new OursDriver(ws, o.xterm, o.ack ?? { kind: 'page' });
    d.#json({ type: 'attach', chapter, cols: COLS, rows: ROWS });
    const attached = await until(
      () => d.messages.find((m): m is Extract<ServerMessage, { type: 'attached' }> => m.type === 'attached'),
      `"attached" for ${chapter}`,
    );
    // The replay travels outside the flow control: written, never acknowledged.
    if (attached.replay) d.feed(attached.replay, () => {});
    return d;
  }

  protected override toTerminal(chunk: Uint8Array | string, done: () => void): void {
    const term = this.term;
    if (typeof chunk === 'string' || !term) {
      super.toTerminal(chunk, done);
      return;
    }
    // One writer per xterm (each throughput run gets a new one).
    if (this.#writer?.term !== term) this.#writer = Object.assign(new OutputWriter((d, cb) => term.write(d, cb)), { term });
    this.#writer.push(chunk, done);
  }

  #json(m: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  #written(n: number): void {
    this.#unacked += n;
    if (this.ack.kind === 'page' && this.#unacked >= FLOW.ackEvery) this.#flush();
  }

  #flush(): void {
    if (this.#unacked > 0) {
      this.#json({ type: 'ack', bytes: this.#unacked });
      this.#unacked = 0;
    }
  }

  send(data: string): void {
    this.#json({ type: 'input', data });
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.term?.dispose();
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((r) => this.ws.once('close', () => r()));
    this.ws.close();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    this.ws.terminate();
  }
}

export class WettyDriver extends Driver {
  readonly name = 'wetty';
  /** wetty's client commits in steps of this many characters (FlowControlClient.ackBytes). */
  static readonly ACK_BYTES = 262144;
  #counter = 0;

  private constructor(
    readonly socket: Socket,
    useXterm: boolean,
  ) {
    super(useXterm);
    socket.on('data', (data: string) => {
      // As wetty's client: count characters; past each 256 KiB commit once xterm wrote them.
      this.#counter += data.length;
      if (this.#counter >= WettyDriver.ACK_BYTES) {
        this.#counter -= WettyDriver.ACK_BYTES;
        this.feed(data, () => socket.emit('commit', WettyDriver.ACK_BYTES));
      } else this.feed(data, () => {});
    });
  }

  static async connect(port: number, o: { xterm: boolean }): Promise<WettyDriver> {
    const socket = io(`http://127.0.0.1:${port}`, { path: '/socket.io', transports: ['websocket'], forceNew: true, reconnection: false });
    const d = new WettyDriver(socket, o.xterm);
    await new Promise<void>((resolve, reject) => {
      socket.once('login', () => resolve());
      socket.once('connect_error', reject);
    });
    socket.emit('resize', { cols: COLS, rows: ROWS });
    return d;
  }

  send(data: string): void {
    this.socket.emit('input', data);
  }

  async close(): Promise<void> {
    this.term?.dispose();
    this.socket.disconnect();
  }
}

export class RawDriver extends Driver {
  readonly name = 'raw';
  readonly shell: Shell;
  #pending = 0;
  #paused = false;

  constructor(useXterm: boolean, env: NodeJS.ProcessEnv) {
    super(useXterm);
    const cwd = mkdtempSync(join(tmpdir(), 'bench-raw-'));
    this.shell = spawnShell({
      file: 'bash',
      args: ['--norc', '--noprofile', '-i'],
      cwd,
      env: { ...env, TERM: 'xterm-256color' },
      cols: COLS,
      rows: ROWS,
    });
    this.shell.onData((data) => {
      const n = data.length;
      this.#pending += n;
      // With an xterm behind it, hold the pty as our server does (same marks), or xterm's
      // write buffer would grow without bound.
      if (this.useXterm && !this.#paused && this.#pending >= FLOW.highWater) {
        this.#paused = true;
        this.shell.pause();
      }
      this.feed(data, () => {
        this.#pending -= n;
        if (this.#paused && this.#pending <= FLOW.lowWater) {
          this.#paused = false;
          this.shell.resume();
        }
      });
    });
  }

  send(data: string): void {
    this.shell.write(data);
  }

  async close(): Promise<void> {
    this.term?.dispose();
    await killSessionTree(this.shell.pid);
  }
}
