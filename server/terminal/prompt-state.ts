import type { CommandEnd } from './shell-integration.ts';

/**
 * What the page's terminal sends by itself, not the learner: a cursor position report, a device
 * attributes reply, focus in/out. They do not put text on the prompt line.
 */
const TERMINAL_REPLY = /^(?:\x1b\[(?:\d+;\d+R|[?>][\d;]*c|[IO]))+$/;

/**
 * A shell's prompt as its session sees it, from the input that goes in and the command ends that
 * shell integration reports: whether a command runs, whether the learner has typed at the prompt
 * without running it, and who waits for the next command end.
 */
export class PromptState {
  /** The shell is running a command (Enter was pressed) and has not shown its prompt again. */
  #busy = true;
  /** The learner has typed at the prompt without running it: a Run would be typed onto it. */
  #lineHasText = false;
  /** The shell has shown its first prompt. */
  #prompted = false;
  /** How the shell ended, as a command end: every later wait ends at once with it. */
  #ended: CommandEnd | undefined;
  #waiters = new Set<(end: CommandEnd) => void>();

  /** True while a command runs; false at the prompt. */
  get busy(): boolean {
    return this.#busy;
  }

  /** True when the learner has typed at the prompt and not run it (nor cleared it) yet. */
  get lineHasText(): boolean {
    return this.#lineHasText;
  }

  /** Keystrokes from the learner's terminal, on their way to the shell. */
  typed(data: string): void {
    if (/[\r\n]/.test(data)) {
      this.#busy = true;
      this.#lineHasText = false;
    } else if (data === '\x03' || data.includes('\x15')) {
      // Ctrl-C and Ctrl-U leave an empty prompt line.
      this.#lineHasText = false;
    } else if (!this.#busy && !TERMINAL_REPLY.test(data)) {
      this.#lineHasText = true;
    }
  }

  /** A command is typed into the shell on the learner's behalf (a Run). */
  commandTyped(): void {
    this.#busy = true;
  }

  /** The shell reported a command end: its prompt is back. */
  commandEnded(end: CommandEnd): void {
    this.#busy = false;
    this.#lineHasText = false;
    this.#prompted = true;
    this.#wake(end);
  }

  /** The shell ended: whoever waits for a command end hears it ended with the shell. */
  shellEnded(end: CommandEnd): void {
    this.#busy = true;
    this.#ended = end;
    this.#wake(end);
  }

  /** Resolves at the next command end (prompt) the shell reports, or when the shell ends. */
  nextCommandEnd(): Promise<CommandEnd> {
    if (this.#ended) return Promise.resolve(this.#ended);
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /** Resolves once the shell has shown its first prompt, or after `timeoutMs`. */
  started(timeoutMs: number): Promise<void> {
    if (this.#prompted || this.#ended) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  #wake(end: CommandEnd): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w(end);
  }
}
