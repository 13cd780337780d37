/** How many characters of input go into the pty at a time (see sliceInput). */
const INPUT_SLICE = 1024;
/** An escape sequence a terminal sends (CSI, SS3, bracketed-paste markers) is shorter than this. */
const MAX_INPUT_ESCAPE = 32;
/** Keystrokes typed before the first prompt wait this long at most for it. */
const START_HOLD_MS = 5000;

/**
 * Cuts input into slices of at most `max` characters. A slice never ends inside a surrogate pair
 * or just after the ESC of a short escape sequence (an arrow key, a bracketed-paste marker): a
 * slice is cut before an ESC found in its last few characters instead, so the shell's readline
 * never sees half a sequence followed by a pause.
 */
export function sliceInput(data: string, max = INPUT_SLICE): string[] {
  const slices: string[] = [];
  let i = 0;
  while (data.length - i > max) {
    let end = i + max;
    const esc = data.lastIndexOf('\x1b', end - 1);
    if (esc > i && end - esc < MAX_INPUT_ESCAPE) end = esc;
    const last = data.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff && end - 1 > i) end -= 1;
    slices.push(data.slice(i, end));
    i = end;
  }
  if (i < data.length) slices.push(data.slice(i));
  return slices;
}

/**
 * The way into a shell: input goes to `write` in slices (sliceInput), one slice per turn of the
 * event loop. Ctrl-C and Ctrl-\ go in at once, ahead of (and instead of) any input still waiting:
 * the learner wants it all to stop. Input that comes before open() (the shell's first prompt)
 * waits for it, START_HOLD_MS at most: programs that the rc files run with the terminal as stdin
 * (pyenv init, say) would otherwise read and lose it.
 */
export class InputQueue {
  readonly #write: (data: string, learner: boolean) => void;
  /** What waits, and whether the learner typed it (keystrokes) or the server did (a Run). */
  #slices: { text: string; learner: boolean }[] = [];
  #writing: NodeJS.Timeout | undefined;
  /** Input may go to the shell: open() was called, or START_HOLD_MS have passed. */
  #open = false;
  #closed = false;
  readonly #startHold: NodeJS.Timeout;
  /** Slices gone in (or dropped) so far, and who waits for a count of them (drained()). */
  #done = 0;
  #waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(write: (data: string, learner: boolean) => void) {
    this.#write = write;
    this.#startHold = setTimeout(() => this.open(), START_HOLD_MS);
    this.#startHold.unref();
  }

  /** `learner`: keystrokes of the learner's, which the write callback is told about as it writes them. */
  push(data: string, learner = false): void {
    if (this.#closed) return;
    if (data === '\x03' || data === '\x1c') {
      this.#done += this.#slices.length;
      this.#slices = [];
      this.#write(data, learner);
      this.#settle();
      return;
    }
    this.#slices.push(...sliceInput(data).map((text) => ({ text, learner })));
    if (!this.#writing && this.#open) this.#drain();
  }

  /**
   * Resolves once everything waiting now has gone in (or was dropped): a question about the
   * prompt line asked after keys were typed is answered after they reach the shell, not before.
   * Input pushed later is not waited for.
   */
  drained(): Promise<void> {
    if (this.#slices.length === 0 || this.#closed) return Promise.resolve();
    const upTo = this.#done + this.#slices.length;
    return new Promise((resolve) => this.#waiters.push({ upTo, resolve }));
  }

  /** The shell is ready to read: what waits goes in now, and later input at once. */
  open(): void {
    if (this.#open) return;
    this.#open = true;
    clearTimeout(this.#startHold);
    if (!this.#writing) this.#drain();
  }

  /** Drops what waits and takes no more input (the shell ends). */
  close(): void {
    this.#closed = true;
    this.#slices = [];
    clearTimeout(this.#writing);
    clearTimeout(this.#startHold);
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #settle(): void {
    const ready = this.#waiters.filter((w) => w.upTo <= this.#done);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.upTo > this.#done);
    for (const w of ready) w.resolve();
  }

  #drain(): void {
    this.#writing = undefined;
    const next = this.#slices.shift();
    if (next === undefined || this.#closed) {
      this.#slices = [];
      return;
    }
    this.#write(next.text, next.learner);
    this.#done += 1;
    this.#settle();
    // Let the shell read each slice before the next: a full pty input queue in canonical mode
    // drops bytes, and a big paste must not hold up the event loop (or a Ctrl-C behind it).
    if (this.#slices.length > 0) this.#writing = setTimeout(() => this.#drain(), 2);
  }
}
