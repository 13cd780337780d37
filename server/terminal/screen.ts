import { createRequire } from 'node:module';
import type headless from '@xterm/headless';

type HeadlessTerminal = InstanceType<(typeof headless)['Terminal']>;
let Terminal: (typeof headless)['Terminal'] | undefined;

/**
 * @xterm/headless, loaded when the first shell starts rather than with the server (about 13 MB
 * that a server with no shell open does without). It is CommonJS, so require() loads it at once.
 */
function terminalClass(): (typeof headless)['Terminal'] {
  Terminal ??= (createRequire(import.meta.url)('@xterm/headless') as typeof headless).Terminal;
  return Terminal;
}
type Marker = NonNullable<ReturnType<HeadlessTerminal['registerMarker']>>;

/** Characters of a running command's output kept for the screen after it (its last lines). */
const BUSY_TAIL = 16 * 1024;
/** Rows the mirror keeps above the screen: enough for a prompt line to stay known while a completion list scrolls. */
const SCROLLBACK = 1000;

/** Where the cursor is, seen against the shell's last prompt. */
export type PromptLine =
  /** On the prompt's line (or its wrapped continuation): `text` is what follows the prompt, trimmed at the end. */
  | { where: 'prompt'; text: string }
  /**
   * Below the prompt's line, although no command runs: readline asks a question there
   * (`Display all 2130 possibilities? (y or n)`) or pages a completion list (`--More--`).
   * `text` is the cursor's row.
   */
  | { where: 'elsewhere'; text: string }
  /** No prompt has been drawn since the mirror last restarted. */
  | { where: 'unknown' };

/**
 * A headless terminal that mirrors what the learner's terminal shows, so the server knows the
 * true state of the prompt line (VS Code does the same with @xterm/headless). The only module
 * that imports @xterm/headless.
 *
 * While a command runs the mirror is not fed: a flood of output would be parsed twice for
 * nothing. It keeps the command's last BUSY_TAIL characters instead, and when the prompt comes
 * back it restarts from them, so the prompt is drawn at the column the learner sees it at.
 */
export class ScreenMirror {
  readonly #term: HeadlessTerminal;
  /** Where the last prompt ended: its row (a marker follows scrolling) and column. */
  #promptEnd: { marker: Marker; x: number } | undefined;
  #busy = false;
  /** A running command's last output, in the pieces it came in (joined only when the prompt is back). */
  #tail: string[] = [];
  #tailLength = 0;
  /** zsh's right prompt on the prompt's line: where it was drawn and what it showed. */
  #right: { marker: Marker; x: number; end?: number; text?: string } | undefined;

  constructor(cols: number, rows: number) {
    this.#term = new (terminalClass())({ cols, rows, scrollback: SCROLLBACK, allowProposedApi: true });
  }

  /** Output of the shell, as the page gets it (shell marks removed). */
  write(text: string): void {
    if (!this.#busy) {
      this.#term.write(text);
      return;
    }
    // Pieces, not one string: a string cut to its end every few reads would copy a flood once more.
    this.#tail.push(text);
    this.#tailLength += text.length;
    if (this.#tailLength < 2 * BUSY_TAIL) return;
    // Keep the newest pieces that hold BUSY_TAIL characters.
    let from = this.#tail.length - 1;
    let kept = this.#tail[from]!.length;
    while (from > 0 && kept < BUSY_TAIL) kept += this.#tail[--from]!.length;
    this.#tail = this.#tail.slice(from);
    this.#tailLength = kept;
  }

  /** A command started: what it prints is kept as a tail until the prompt comes back. */
  commandStarted(): void {
    this.#busy = true;
    this.#tail = [];
    this.#tailLength = 0;
    // In order with what was written: a prompt end still being parsed must not outlive it.
    this.#term.write('', () => this.#forgetPrompt());
  }

  /** The command ended: the mirror restarts (RIS, in order with what was written) from its last output. */
  commandFinished(): void {
    if (!this.#busy) return;
    this.#busy = false;
    this.#term.write(`\x1bc${this.#tail.join('').slice(-BUSY_TAIL)}`, () => this.#forgetPrompt());
    this.#tail = [];
    this.#tailLength = 0;
  }

  /** The prompt ends here, at this point of the output: the learner's input starts at the cursor. */
  promptEnded(): void {
    this.#term.write('', () => {
      // Not the right prompt: zsh marks the prompt's end once more after drawing it (zle-line-init).
      this.#promptEnd?.marker.dispose();
      this.#promptEnd = undefined;
      const marker = this.#term.registerMarker(0);
      if (marker) this.#promptEnd = { marker, x: this.#term.buffer.active.cursorX };
    });
  }

  /** zsh's right prompt starts or ends here: it is no text of the prompt line (line() leaves it out while it shows). */
  rightPrompt(edge: 'start' | 'end'): void {
    this.#term.write('', () => {
      const buf = this.#term.buffer.active;
      if (edge === 'start') {
        this.#forgetRight();
        const marker = this.#term.registerMarker(0);
        if (marker) this.#right = { marker, x: buf.cursorX };
        return;
      }
      const right = this.#right;
      if (!right || right.marker.line !== buf.baseY + buf.cursorY) return;
      right.end = buf.cursorX;
      right.text = buf.getLine(right.marker.line)?.translateToString(false, right.x, right.end);
    });
  }

  /** Resolves once everything written so far has been parsed. */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.#term.write('', resolve));
  }

  /** Where the cursor is against the last prompt, as far as the output has been parsed. */
  line(): PromptLine {
    const buf = this.#term.buffer.active;
    const end = this.#promptEnd;
    if (!end) return { where: 'unknown' };
    const cursorRow = buf.baseY + buf.cursorY;
    const cursorText = () => buf.getLine(cursorRow)?.translateToString(true).trim() ?? '';
    // A full-screen program, or a prompt scrolled out of the mirror: not at the prompt either way.
    if (buf.type !== 'normal' || end.marker.isDisposed || end.marker.line < 0) return { where: 'elsewhere', text: cursorText() };
    const first = end.marker.line;
    let last = first;
    while (buf.getLine(last + 1)?.isWrapped) last += 1;
    const rowText = (row: number, from = 0) => {
      const line = buf.getLine(row);
      if (!line) return '';
      const right = this.#right;
      // The right prompt, where it still shows, is not the learner's text.
      if (right?.text && right.end !== undefined && right.marker.line === row && right.x >= from) {
        if (line.translateToString(false, right.x, right.end) === right.text)
          return line.translateToString(false, from, right.x) + line.translateToString(false, right.end);
      }
      return line.translateToString(false, from);
    };
    let text = rowText(first, end.x);
    for (let row = first + 1; row <= last; row++) text += rowText(row);
    text = text.trimEnd();
    // The row after the line counts while it is empty and the cursor at its start: readline
    // leaves the cursor there when a line that filled the last column is erased.
    const below = cursorRow === last + 1 && buf.cursorX === 0 && cursorText() === '';
    if ((cursorRow >= first && cursorRow <= last) || below) return { where: 'prompt', text };
    return { where: 'elsewhere', text: cursorText() };
  }

  resize(cols: number, rows: number): void {
    this.#term.resize(cols, rows);
  }

  dispose(): void {
    this.#forgetPrompt();
    this.#term.dispose();
  }

  #forgetPrompt(): void {
    this.#promptEnd?.marker.dispose();
    this.#promptEnd = undefined;
    this.#forgetRight();
  }

  #forgetRight(): void {
    this.#right?.marker.dispose();
    this.#right = undefined;
  }
}
