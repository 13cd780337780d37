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
  readonly #send: (text: string) => void;
  #pending = '';
  #window: NodeJS.Timeout | undefined;

  constructor(send: (text: string) => void) {
    this.#send = send;
  }

  push(text: string): void {
    if (this.#window) {
      this.#pending += text;
      if (this.#pending.length >= MAX_BATCH) this.flush();
      return;
    }
    this.#send(text);
    this.#open();
  }

  #open(): void {
    this.#window = setTimeout(() => {
      this.#window = undefined;
      if (!this.#pending) return;
      this.flush();
      this.#open();
    }, WINDOW_MS);
  }

  /** Sends what is gathered now (before a message that must come after it, or the shell's exit). */
  flush(): void {
    const text = this.#pending;
    this.#pending = '';
    if (text) this.#send(text);
  }

  /** Forgets what is gathered (another reader gets it from the replay instead). */
  reset(): void {
    clearTimeout(this.#window);
    this.#window = undefined;
    this.#pending = '';
  }
}
