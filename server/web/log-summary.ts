/**
 * A log line that any web page can cause (a refused websocket) at most once per window: the first
 * one of a window is written as it comes, the rest are counted and summed up in one line when the
 * window ends. So a page that opens sockets in a loop cannot flood the learner's console, and the
 * learner still sees that it happened.
 */
export class LogSummary {
  #windowEnds = 0;
  #count = 0;
  #last = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: (line: string) => void,
    /** What was done, as the start of a line: "refused a websocket". */
    private readonly what: string,
    private readonly windowMs = 10_000,
  ) {}

  /** One more occurrence, for `reason`. */
  note(reason: string): void {
    const now = Date.now();
    if (now >= this.#windowEnds && this.#count === 0) {
      this.#windowEnds = now + this.windowMs;
      this.log(`${this.what}: ${reason}`);
      return;
    }
    this.#count += 1;
    this.#last = reason;
    this.#timer ??= setTimeout(() => this.#flush(), Math.max(0, this.#windowEnds - now));
    this.#timer.unref();
  }

  /** Writes what is still counted (at shutdown). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#count > 0) this.#summary();
  }

  #flush(): void {
    this.#timer = undefined;
    this.#summary();
    // The summary opens a new window: the next occurrence in it is counted, not written.
    this.#windowEnds = Date.now() + this.windowMs;
  }

  #summary(): void {
    const seconds = Math.round(this.windowMs / 1000);
    this.log(`${this.what} ${this.#count} more ${this.#count === 1 ? 'time' : 'times'} in ${seconds} seconds (the last: ${this.#last})`);
    this.#count = 0;
  }
}
