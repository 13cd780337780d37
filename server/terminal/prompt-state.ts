import type { ScreenMirror } from './screen.ts';
import type { ShellExit } from './session-types.ts';
import type { ShellMark } from './shell-marks.ts';

/**
 * What the terminal sends by itself, not the learner: a cursor position report, a device
 * attributes reply, focus in/out. They put no text on the prompt line.
 */
const TERMINAL_REPLY = /^(?:\x1b\[(?:\d+;\d+R|[?>][\d;]*c|[IO]))+$/;
/** How long an answer (a command's start, the prompt, readline's echo) may take before it is given up on. */
const SETTLE_MS = 500;
/**
 * How long a prompt may take to be drawn after the shell reported the command's end (133;D): the
 * learner's PROMPT_COMMAND hooks and PS1's command substitutions run in between (pyenv-virtualenv's
 * hook, a git prompt, starship), and on a busy machine they take seconds.
 */
const PROMPT_DRAW_MS = 15_000;

/** How one round from prompt to prompt ended. */
export interface CommandEnd {
  /** The status the shell reports: the command's, or 130 after Ctrl-C at the prompt. */
  exitCode: number;
  /** A command ran (OSC 133;C); false when the prompt came back without one (an empty line, Ctrl-C). */
  executed: boolean;
  /** The command line the shell ran, as it reported it (OSC 633;E), when a command ran. */
  ran?: string;
}

/** A shell's own end as the end of a round: status 128 + signal, as bash reports a command killed by a signal. */
export function exitAsCommandEnd(e: ShellExit): CommandEnd {
  return { exitCode: e.signal ? 128 + e.signal : e.exitCode, executed: false };
}

/** The state of the shell's prompt line, as the learner sees it. */
export type LineState =
  /** The shell has not shown its first prompt yet. */
  | { kind: 'starting' }
  /** At the prompt, nothing typed (or everything typed erased again). */
  | { kind: 'empty' }
  /** At the prompt, with text on the line that has not been run (typed, pasted, or typed ahead while a command ran). */
  | { kind: 'text'; text: string }
  /** Readline has left the prompt line: a completion question or its `--More--` pager. `text` is what it shows. */
  | { kind: 'elsewhere'; text: string }
  /** A command runs; `command` is its line, as the shell reported it. */
  | { kind: 'busy'; command?: string }
  /** The shell has ended. */
  | { kind: 'ended' };

type Phase =
  /** Before the first prompt. */
  | 'starting'
  /** The prompt is drawn (133;B); the screen says what is on its line. */
  | 'prompt'
  /** Enter went in at the prompt; the command's start (C) or the next prompt (D) is due. */
  | 'submitted'
  /** A command runs (C, and no D yet). */
  | 'busy'
  /** The prompt is coming back (D, and no B yet). */
  | 'returning'
  | 'ended';

/**
 * A shell's prompt as the server knows it: from the shell's own marks (prompt start and end,
 * command line, command start, prompt back), the screen mirror (what is on the prompt line), and
 * the learner's keystrokes on their way in (a key typed is not on the screen yet). It answers
 * "what would a command typed now run into?" and "how did the command typed just now end?".
 */
export class PromptState {
  readonly #screen: ScreenMirror;
  #phase: Phase = 'starting';
  /** The line of the last 633;E, until its command starts. */
  #line: string | undefined;
  /** The command that runs now (or ran last): its line and whether it started. */
  #current: { executed: boolean; line?: string } = { executed: false };
  /** The learner typed something whose echo has not come back yet. */
  #awaitingEcho = false;
  /** The prompt was drawn again after Enter went in, before the command started (see mark()). */
  #redrawnWhileSubmitted = false;
  /**
   * Keys went in while the prompt was on its way (after 133;D, before 133;B): readline reads them
   * once it draws the prompt, so they land on that prompt's line; `enter` if an Enter was among them.
   */
  #typedAhead: { enter: boolean } | undefined;
  #ended: CommandEnd | undefined;
  #endWaiters = new Set<(end: CommandEnd) => void>();
  #promptWaiters = new Set<() => void>();
  #changeWaiters = new Set<() => void>();

  constructor(screen: ScreenMirror) {
    this.#screen = screen;
  }

  /** True unless the shell sits at its prompt: while it starts, runs a command, or has ended. */
  get busy(): boolean {
    return this.#phase !== 'prompt';
  }

  /** The prompt line's state as far as the output has been parsed (lineState() waits for it). */
  get now(): LineState {
    switch (this.#phase) {
      case 'starting':
        return { kind: 'starting' };
      case 'ended':
        return { kind: 'ended' };
      case 'busy':
        return this.#current.line === undefined ? { kind: 'busy' } : { kind: 'busy', command: this.#current.line };
      case 'returning':
        // The prompt is on its way.
        return { kind: 'busy' };
      default: {
        const line = this.#screen.line();
        if (line.where === 'elsewhere') return { kind: 'elsewhere', text: line.text };
        // Enter went in and neither the command nor the prompt has answered: a command is on its way.
        if (this.#phase !== 'prompt' || line.where === 'unknown') return { kind: 'busy' };
        return line.text ? { kind: 'text', text: line.text } : { kind: 'empty' };
      }
    }
  }

  /**
   * The prompt line's state once the screen has caught up: keystrokes on their way have been
   * echoed, a command whose Enter went in has started (each waited for SETTLE_MS at most), a
   * prompt on its way is drawn (PROMPT_DRAW_MS at most).
   */
  async lineState(): Promise<LineState> {
    let start = Date.now();
    let phase = this.#phase;
    for (;;) {
      await this.#screen.flushed();
      // Each wait has its own time: a prompt drawn at last with typed-ahead keys on its line gets SETTLE_MS for them.
      if (this.#phase !== phase) [phase, start] = [this.#phase, Date.now()];
      const waiting = this.#phase === 'submitted' || this.#phase === 'returning' || (this.#awaitingEcho && this.#phase === 'prompt');
      const left = start + (this.#phase === 'returning' ? PROMPT_DRAW_MS : SETTLE_MS) - Date.now();
      if (!waiting) return this.now;
      if (left <= 0) {
        // No echo came: the keys went to a program that read them (or were no text at all).
        this.#awaitingEcho = false;
        // The prompt was drawn again and no command started: the line is back at the prompt
        // (readline's histverify puts an expanded line there to be edited).
        if (this.#phase === 'submitted' && this.#redrawnWhileSubmitted) {
          this.#phase = 'prompt';
          this.#redrawnWhileSubmitted = false;
        }
        return this.now;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.#changeWaiters.add(done);
      });
    }
  }

  /** Keystrokes from the learner's terminal, on their way to the shell. */
  typed(data: string): void {
    if (TERMINAL_REPLY.test(data)) return;
    if (this.#phase === 'returning' || this.#phase === 'starting') {
      this.#typedAhead = { enter: (this.#typedAhead?.enter ?? false) || /[\r\n]/.test(data) };
      return;
    }
    if (this.#phase === 'prompt' && /[\r\n]/.test(data) && this.#screen.line().where === 'prompt') this.#phase = 'submitted';
    if (this.#phase === 'prompt' || this.#phase === 'busy' || this.#phase === 'submitted') this.#awaitingEcho = true;
  }

  /** A command is typed into the shell on the learner's behalf (a Run). */
  commandTyped(): void {
    this.#phase = 'submitted';
  }

  /** Output of the shell (marks removed). */
  output(): void {
    if (this.#phase === 'prompt') this.#awaitingEcho = false;
    this.#changed();
  }

  /** A mark the shell printed, in order with its output. */
  mark(m: ShellMark): void {
    switch (m.kind) {
      case 'prompt-start':
        break;
      case 'prompt-end':
        // A program's output may imitate a prompt; only the shell's own prompt counts.
        if (this.#phase === 'busy' || this.#phase === 'ended') break;
        this.#screen.promptEnded();
        // Readline draws the prompt again for a Ctrl-L or a resize (SIGWINCH) it handles before
        // it reads the Enter already on its way: the line is still submitted, its command about to
        // start. A round that ends goes through 133;D ('returning') first.
        if (this.#phase === 'submitted') this.#redrawnWhileSubmitted = true;
        // Keys typed while the prompt came back are readline's first input: their echo is due, and
        // with an Enter among them the line runs (its command's start or the next prompt is due).
        else if (this.#typedAhead) {
          this.#phase = this.#typedAhead.enter ? 'submitted' : 'prompt';
          this.#awaitingEcho = true;
        } else this.#phase = 'prompt';
        this.#typedAhead = undefined;
        for (const w of this.#take(this.#promptWaiters)) w();
        break;
      case 'right-prompt-start':
      case 'right-prompt-end':
        // Drawn right after the prompt's end; a program's imitation while a command runs does not count.
        if (this.#phase === 'prompt') this.#screen.rightPrompt(m.kind === 'right-prompt-start' ? 'start' : 'end');
        break;
      case 'command-line':
        this.#line = m.line;
        break;
      case 'executed':
        if (this.#phase === 'ended') break;
        this.#phase = 'busy';
        this.#redrawnWhileSubmitted = false;
        this.#current = this.#line === undefined ? { executed: true } : { executed: true, line: this.#line };
        this.#line = undefined;
        this.#screen.commandStarted();
        break;
      case 'finished': {
        if (this.#phase === 'ended') break;
        const end: CommandEnd = this.#current.executed
          ? { exitCode: m.exitCode, executed: true, ...(this.#current.line !== undefined ? { ran: this.#current.line } : {}) }
          : { exitCode: m.exitCode, executed: false };
        this.#current = { executed: false };
        this.#line = undefined;
        this.#phase = 'returning';
        this.#redrawnWhileSubmitted = false;
        this.#screen.commandFinished();
        for (const w of this.#take(this.#endWaiters)) w(end);
        break;
      }
    }
    this.#changed();
  }

  /** The shell ended: whoever waits hears it ended with the shell. */
  shellEnded(end: CommandEnd): void {
    this.#phase = 'ended';
    this.#ended = end;
    for (const w of this.#take(this.#endWaiters)) w(end);
    for (const w of this.#take(this.#promptWaiters)) w();
    this.#changed();
  }

  /** Resolves at the next return of the prompt (OSC 133;D), or when the shell ends. */
  nextCommandEnd(): Promise<CommandEnd> {
    if (this.#ended) return Promise.resolve(this.#ended);
    return new Promise((resolve) => this.#endWaiters.add(resolve));
  }

  /** Resolves when the next prompt is drawn (OSC 133;B), or when the shell ends. */
  nextPrompt(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise((resolve) => this.#promptWaiters.add(resolve));
  }

  /**
   * Resolves once the shell has shown its first prompt (true), or after `timeoutMs` (false: it
   * has not reported one yet), or when it ends.
   */
  started(timeoutMs: number): Promise<boolean> {
    if (this.#phase !== 'starting') return Promise.resolve(this.#phase !== 'ended');
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#promptWaiters.delete(done);
        resolve(this.#phase !== 'starting' && this.#phase !== 'ended');
      };
      const t = setTimeout(done, timeoutMs);
      this.#promptWaiters.add(done);
    });
  }

  #changed(): void {
    for (const w of this.#take(this.#changeWaiters)) w();
  }

  #take<T>(set: Set<T>): T[] {
    const all = [...set];
    set.clear();
    return all;
  }
}
