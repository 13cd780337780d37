import type { WebSocket } from 'ws';
import type { ErrorCode } from '../../protocol/errors.ts';
import { type ClientMessage, ClientMessageSchema, type ServerMessage } from '../../protocol/messages.ts';
import type { SessionSink, TerminalSession } from '../terminal/session.ts';
import { SessionError, type SessionManager } from '../terminal/session-manager.ts';
import type { Needs } from '../tutorial/needs.ts';
import { RequestError, RunRefusedError, type StepController } from '../tutorial/step-controller.ts';

export interface PageSocketOptions {
  sessions: SessionManager;
  controller: StepController;
  /** What chapters need from earlier ones, and the catch-up. */
  needs: Needs;
  /** Bad messages a socket may send before it is closed. */
  maxBadMessages: number;
  /** Messages per second a socket may send (a burst of twice this is allowed). */
  maxMessagesPerSecond: number;
  log: (line: string) => void;
}

const MOVED = 'This chapter\'s terminal moved to another tab. Press "Use it here" to bring it back to this one.';

/** Close code (RFC 6455): policy violation. */
const POLICY = 1008;
/** An ack frame is about 35 bytes; anything bigger is not one. */
const MAX_ACK_FRAME = 64;

/**
 * One page's websocket, once it has been let in: its chapter's shell (output goes out as binary
 * frames), a rate limit, and every message the page may send, each parsed with the protocol's
 * schema and handled in one exhaustive switch.
 */
export class PageSocket {
  readonly #ws: WebSocket;
  readonly #o: PageSocketOptions;
  #session: TerminalSession | undefined;
  /** The shell another tab took from this one, which this one may take back when it is free. */
  #standingBy: TerminalSession | undefined;
  #chapter = '';
  #bad = 0;
  /** The rate limit's token bucket. */
  #tokens: number;
  #refill = Date.now();
  readonly #sink: SessionSink;

  constructor(ws: WebSocket, options: PageSocketOptions) {
    this.#ws = ws;
    this.#o = options;
    this.#tokens = options.maxMessagesPerSecond * 2;
    this.#sink = {
      output: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data);
      },
      // Only the attached socket hears its shell end: the sink is the session's one link to it,
      // so no listener is left behind on a session this socket has left.
      exited: (e) => this.send({ type: 'exit', chapter: this.#chapter, exitCode: e.exitCode, ...(e.signal ? { signal: e.signal } : {}) }),
      detached: (reason) => {
        if (reason === 'replaced') {
          this.#standingBy = this.#session;
          this.send({
            type: 'error',
            code: 'taken-over',
            message: MOVED,
          });
        }
        this.#session = undefined;
      },
      free: () => this.send({ type: 'terminal-free', chapter: this.#chapter }),
    };
  }

  send(m: ServerMessage): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(m));
  }

  /** A message from the page (binaryType is ws's default "nodebuffer": every message, fragmented or not, is one Buffer). */
  receive(data: Buffer, isBinary: boolean): void {
    // A token bucket: a page that floods us with messages is told, then closed. Acks that
    // answer output we sent are free: at 20 MB/s of output the page acks over a thousand
    // times a second, and a dropped ack would stall the shell for good (and a Ctrl-C queued
    // behind spent tokens would be dropped too).
    const now = Date.now();
    this.#tokens = Math.min(this.#o.maxMessagesPerSecond * 2, this.#tokens + ((now - this.#refill) / 1000) * this.#o.maxMessagesPerSecond);
    this.#refill = now;
    if (!(this.#session && this.#session.unacknowledged > 0 && !isBinary && isAck(data))) {
      if (this.#tokens < 1) {
        this.#refuse('rate-limited', 'The page sent too many messages at once; some were dropped.');
        return;
      }
      this.#tokens -= 1;
    }
    if (isBinary) {
      this.#refuse('bad-message', 'The server accepts only JSON text messages from the page.');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      this.#refuse('bad-message', 'The message was not valid JSON.');
      return;
    }
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#refuse(
        'bad-message',
        `The message was not understood: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'}.`,
      );
      return;
    }
    const msg = parsed.data;
    this.#handle(msg).catch((err: unknown) => {
      // A Run onto a line that is not empty is the learner's everyday case, not a bad message.
      if (err instanceof RunRefusedError && (msg.type === 'run' || msg.type === 'run-step' || msg.type === 'run-chapter')) {
        const step = msg.type === 'run-chapter' ? (this.#o.controller.find(msg.chapter).chapter.steps[0]?.id ?? '') : msg.step;
        const upTo = msg.type === 'run-chapter' && msg.upTo ? { upTo: msg.upTo } : {};
        this.send({ type: 'run-refused', request: msg.type, chapter: msg.chapter, step, index: err.index, ...upTo, ...err.refusal });
      } else if (err instanceof RequestError || err instanceof SessionError) this.#refuse(err.code, err.message);
      else {
        this.#o.log(`error while handling ${msg.type}: ${(err as Error).stack ?? String(err)}`);
        this.send({ type: 'error', code: 'internal', message: 'The server failed to do that; its console shows why.' });
      }
    });
  }

  /** The socket has closed: the shell carries on without it. */
  closed(): void {
    this.#session?.detach(this.#sink);
    this.#standingBy?.detach(this.#sink);
  }

  #refuse(code: ErrorCode, message: string): void {
    this.send({ type: 'error', code, message });
    if (++this.#bad >= this.#o.maxBadMessages) this.#ws.close(POLICY, 'too many bad messages');
  }

  async #handle(msg: ClientMessage): Promise<void> {
    const { controller, sessions } = this.#o;
    switch (msg.type) {
      case 'attach': {
        controller.find(msg.chapter);
        const held = sessions.get(msg.chapter);
        if (msg.ifFree && held?.attached && held !== this.#session) {
          // A tab that gave the shell away reconnects: the tab that holds it keeps it.
          this.#session?.detach(this.#sink);
          this.#session = undefined;
          this.#standingBy = held;
          this.#chapter = msg.chapter;
          held.standBy(this.#sink);
          this.send({ type: 'error', code: 'taken-over', message: MOVED });
          return;
        }
        const s = sessions.open(msg.chapter, msg.cols, msg.rows);
        if (this.#session !== s) this.#session?.detach(this.#sink);
        this.#standingBy?.detach(this.#sink);
        this.#standingBy = undefined;
        this.#session = s;
        this.#chapter = msg.chapter;
        // attach() and the "attached" message happen in one turn: no output can come between
        // the replay and the first live output frame.
        const replay = s.attach(this.#sink, msg.cols, msg.rows);
        this.send({ type: 'attached', chapter: msg.chapter, replay, shell: s.id });
        return;
      }
      case 'input':
        this.#attached().input(msg.data);
        return;
      case 'resize':
        this.#attached().resize(msg.cols, msg.rows);
        return;
      case 'ack':
        this.#attached().ack(msg.bytes);
        return;
      case 'run':
        // A command that did not run as written is stored as the step's result, not an error.
        await controller.runCommand(msg.chapter, msg.step, msg.index, msg.clear ? { clear: true } : {});
        return;
      case 'run-step':
        await controller.runStep(msg.chapter, msg.step, { clear: msg.clear === true, from: msg.from ?? 0 });
        return;
      case 'check':
        await controller.check(msg.chapter, msg.step);
        return;
      case 'run-chapter':
        await controller.runChapter(msg.chapter, msg.upTo, { clear: msg.clear === true });
        return;
      case 'stop-chapter':
        controller.find(msg.chapter);
        controller.stopChapter(msg.chapter);
        this.#o.needs.stop(msg.chapter);
        return;
      case 'needs':
        this.send({ type: 'needs', chapter: msg.chapter, needs: await this.#o.needs.status(msg.chapter) });
        return;
      case 'catch-up':
        await this.#o.needs.catchUp(msg.chapter, msg.upTo);
        return;
      case 'reset':
        await controller.reset(msg.chapter);
        return;
      default: {
        const unhandled: never = msg;
        throw new Error(`Unhandled message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  #attached(): TerminalSession {
    if (!this.#session)
      throw new RequestError(
        'not-attached',
        'This tab is not using the chapter\'s terminal right now. Press "Use it here" to use it in this tab.',
      );
    return this.#session;
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
