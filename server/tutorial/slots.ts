/**
 * Most checks that run at once per server; the others wait their turn. A check may start
 * processes (a command probe), and a page that asks for a thousand checks at once must not make
 * the machine run a thousand processes.
 */
export const MAX_CONCURRENT_CHECKS = 4;

/**
 * A bound on work running at once (the server's checks: a page that asks for a thousand checks
 * must not make the machine run a thousand processes).
 */
/** Runs at most `max` tasks at once; the others wait in order. */
export class Slots {
  #free: number;
  readonly #waiting: { go: () => void; drop: (err: Error) => void }[] = [];

  constructor(max: number) {
    this.#free = max;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((go, drop) => this.#waiting.push({ go, drop }));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next task waiting, or is free again.
      const next = this.#waiting.shift();
      if (next) next.go();
      else this.#free += 1;
    }
  }

  /** Drops every task still waiting, with the error `reason` makes. */
  cancel(reason: () => Error): void {
    for (const w of this.#waiting.splice(0)) w.drop(reason());
  }
}
