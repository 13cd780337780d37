/** Writes output into a terminal: `done` runs once the terminal has parsed `data`. */
export type TerminalWrite = (data: Uint8Array, done: () => void) => void;

/**
 * Feeds the shell's output frames to the terminal (xterm.js) one piece at a time, joining the
 * frames that arrive while the terminal is still parsing into one bigger write.
 *
 * Why: xterm.js parses a write in a later task when its write queue was empty, and each write
 * costs a call and a callback; during a flood the frames came faster than that and each waited
 * for its own turn. Here a frame that finds the terminal idle is written at once (a keystroke's
 * echo is not delayed), and whatever comes while a write is in the terminal waits here and goes in
 * as one write from that write's callback, which xterm.js parses in the same turn, without a
 * timer in between. Each frame's `done` runs when the write that carried it has been parsed, so
 * the acknowledgements to the server still follow what the terminal really wrote.
 *
 * No DOM here: the benchmark's client (bench/lib/drivers.ts) uses the same class.
 */
export class OutputWriter {
  readonly #write: TerminalWrite;
  #busy = false;
  #waiting: Uint8Array[] = [];
  #waitingDone: (() => void)[] = [];
  #waitingBytes = 0;

  constructor(write: TerminalWrite) {
    this.#write = write;
  }

  /** Bytes received and not yet handed to the terminal. */
  get waitingBytes(): number {
    return this.#waitingBytes;
  }

  push(data: Uint8Array, done: () => void): void {
    if (!this.#busy) {
      this.#start(data, [done]);
      return;
    }
    this.#waiting.push(data);
    this.#waitingDone.push(done);
    this.#waitingBytes += data.byteLength;
  }

  /** Forgets the frames not yet written (the terminal is reset and the server replays instead). */
  clear(): void {
    this.#waiting = [];
    this.#waitingDone = [];
    this.#waitingBytes = 0;
  }

  #start(data: Uint8Array, dones: (() => void)[]): void {
    this.#busy = true;
    this.#write(data, () => {
      for (const d of dones) d();
      this.#next();
    });
  }

  #next(): void {
    if (this.#waiting.length === 0) {
      this.#busy = false;
      return;
    }
    const parts = this.#waiting;
    const dones = this.#waitingDone;
    this.clear();
    this.#start(parts.length === 1 ? parts[0]! : join(parts), dones);
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
