/** How long output is gathered after a piece went out, while more of it keeps coming. */
const WINDOW_MS = 2;
/** A batch goes out at this size (characters) even before its window ends. */
const MAX_BATCH = 64 * 1024;

/**
 * Joins a flood of output into bigger pieces for the reader (wetty gathers for 2 ms as well):
 * each pty read is a few KB, and every piece costs a websocket frame and a write into the page's
 * terminal. Output after a quiet spell goes out at once (a keystroke's echo is not delayed);
 * what follows within WINDOW_MS is gathered and goes out when the window ends, or at MAX_BATCH.
 * While output keeps coming, the next window starts right away, so a flood goes out in windows,
 * not as one small piece at once and then a window, over and over.
 */
export class OutputBatcher {
  readonly #send: (data: Buffer) => void;
  /** The pieces gathered, kept apart: joining them into one string would copy a flood once more in V8's heap. */
  #pending: string[] = [];
  #pendingLength = 0;
  #window: NodeJS.Timeout | undefined;

  /** `send` gets each batch as UTF-8 (whole characters: each piece is a whole string). */
  constructor(send: (data: Buffer) => void) {
    this.#send = send;
  }

  push(text: string): void {
    if (!text) return;
    if (this.#window) {
      this.#pending.push(text);
      this.#pendingLength += text.length;
      if (this.#pendingLength >= MAX_BATCH) this.flush();
      return;
    }
    this.#send(Buffer.from(text, 'utf8'));
    this.#open();
  }

  #open(): void {
    this.#window = setTimeout(() => {
      this.#window = undefined;
      if (this.#pending.length === 0) return;
      this.flush();
      this.#open();
    }, WINDOW_MS);
  }

  /** Sends what is gathered now (before a message that must come after it, or the shell's exit). */
  flush(): void {
    const pieces = this.#pending;
    if (pieces.length === 0) return;
    this.#pending = [];
    this.#pendingLength = 0;
    this.#send(encode(pieces));
  }

  /** Forgets what is gathered (another reader gets it from the replay instead). */
  reset(): void {
    clearTimeout(this.#window);
    this.#window = undefined;
    this.#pending = [];
    this.#pendingLength = 0;
  }
}

/** The pieces as one UTF-8 buffer, each encoded in place (no joined string in between). */
function encode(pieces: string[]): Buffer {
  if (pieces.length === 1) return Buffer.from(pieces[0]!, 'utf8');
  let size = 0;
  for (const p of pieces) size += Buffer.byteLength(p, 'utf8');
  const data = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of pieces) at += data.write(p, at, 'utf8');
  return data;
}
