import { type ClientMessage, FLOW, type ServerMessage, ServerMessageSchema } from '../../protocol/messages.ts';

/** `connecting`: first attempt or a retry under way; `open`: talking; `lost`: waiting to retry. */
export type ConnectionState = 'connecting' | 'open' | 'lost';

export interface ConnectionHandlers {
  /** Terminal output bytes; call `done` once they are written so the server may send more. */
  onOutput(bytes: Uint8Array, done: () => void): void;
  onMessage(message: ServerMessage): void;
  onState(state: ConnectionState): void;
}

const TOKEN_META = 'meta[name="tutorial-token"]';

/** The page's token, put into every HTML page by the local server. */
export function pageToken(): string {
  return document.querySelector<HTMLMetaElement>(TOKEN_META)?.content ?? '';
}

/**
 * Fetches this page's HTML again (with the session cookie, which the browser sends) and takes the
 * token from it. The server makes a new token each time it starts, so after a restart the token
 * in the page we hold is refused (a bare 403 that a WebSocket cannot even see). `signed-out` when
 * the server answers but no longer lets this browser in (its session key was replaced): then the
 * page itself says how to get in. `down` when the server does not answer yet.
 */
async function refreshToken(): Promise<'ok' | 'signed-out' | 'down'> {
  try {
    const res = await fetch(location.href, { cache: 'no-store', credentials: 'same-origin' });
    if (res.status === 403) return 'signed-out';
    if (!res.ok) return 'down';
    const html = await res.text();
    const token = new DOMParser().parseFromString(html, 'text/html').querySelector<HTMLMetaElement>(TOKEN_META)?.content;
    const meta = document.querySelector<HTMLMetaElement>(TOKEN_META);
    if (!token || !meta) return 'down';
    meta.content = token;
    return 'ok';
  } catch {
    return 'down';
  }
}

/**
 * One websocket to the local server, reconnecting by itself with a growing delay when the
 * server goes away. Output frames are acknowledged in batches of FLOW.ackEvery bytes after the
 * terminal has written them, which is what lets the server pause a flooding shell.
 */
export class Connection {
  #ws: WebSocket | undefined;
  #unacked = 0;
  #retry = 0;
  #closed = false;
  #onOpen: (() => void)[] = [];

  constructor(private readonly handlers: ConnectionHandlers) {}

  connect(): void {
    if (this.#closed) return;
    this.handlers.onState(this.#retry === 0 ? 'connecting' : 'lost');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // The site's base path: "/" here, /user/<name>/tutorial/ behind jupyter-server-proxy.
    const base = import.meta.env.BASE_URL.replace(/\/?$/, '/');
    const ws = new WebSocket(`${proto}//${location.host}${base}ws?token=${encodeURIComponent(pageToken())}`);
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.addEventListener('open', () => {
      this.#retry = 0;
      this.#unacked = 0;
      this.handlers.onState('open');
      for (const f of this.#onOpen) f();
    });
    ws.addEventListener('message', (ev) => {
      if (ev.data instanceof ArrayBuffer) {
        const bytes = new Uint8Array(ev.data);
        this.handlers.onOutput(bytes, () => this.#ack(bytes.byteLength));
        return;
      }
      const parsed = ServerMessageSchema.safeParse(JSON.parse(String(ev.data)));
      if (parsed.success) this.handlers.onMessage(parsed.data);
      else console.warn('The tutorial server sent a message this page does not understand.', ev.data);
    });
    ws.addEventListener('close', () => {
      if (this.#closed || this.#ws !== ws) return;
      this.handlers.onState('lost');
      const delay = Math.min(5000, 250 * 2 ** this.#retry++);
      setTimeout(async () => {
        // The server may have restarted with a new token: take the page's current one first.
        if ((await refreshToken()) === 'signed-out') {
          // Retrying cannot help; the server's own page says how to sign in again.
          this.#closed = true;
          location.reload();
          return;
        }
        this.connect();
      }, delay);
    });
  }

  /** Calls `f` now if the socket is open, and after every reconnect. */
  whenOpen(f: () => void): void {
    this.#onOpen.push(f);
    if (this.#ws?.readyState === WebSocket.OPEN) f();
  }

  send(message: ClientMessage): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#ws?.close();
  }

  #ack(bytes: number): void {
    this.#unacked += bytes;
    if (this.#unacked >= FLOW.ackEvery) {
      this.send({ type: 'ack', bytes: this.#unacked });
      this.#unacked = 0;
    }
  }
}
