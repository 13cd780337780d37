import { randomBytes } from 'node:crypto';
import { FLOW } from '../../protocol/messages.ts';
import { SessionError, ShellBusyError } from './errors.ts';
import { InputQueue } from './input-queue.ts';
import { interruptUntilPrompt } from './interrupt.ts';
import { recordShell } from './leftovers.ts';
import { OutputBatcher } from './output-batch.ts';
import { type CommandEnd, exitAsCommandEnd, type LineState, PromptState } from './prompt-state.ts';
import { type Disposable, killSessionTree, killSessionTreeSync, type Shell, spawnShell } from './pty.ts';
import { boundPyenvRehashWait, removeStalePyenvLock } from './pyenv-lock.ts';
import { ReplayRing } from './replay-ring.ts';
import { ScreenMirror } from './screen.ts';
import type { SessionOptions, SessionSink, ShellExit } from './session-types.ts';
import { killCgroup, killCgroupSync, shellCgroup } from './shell-cgroup.ts';
import type { ShellName } from './shell-choice.ts';
import { ShellIntegration } from './shell-integration.ts';
import { ShellMarkParser } from './shell-marks.ts';

export type { CommandEnd, LineState };

/** How long "Clear the line" waits for the prompt to come back after each Ctrl-C. */
const CLEAR_WAIT_MS = 5000;

export type { SessionOptions, SessionSink, ShellExit } from './session-types.ts';

/**
 * One shell in a pty that outlives its websocket: it keeps a bounded replay of its output for
 * the next attach, pauses the pty while its reader lags (flow control with acks), types input in
 * slices, knows the state of its prompt line and what each command line ran (shell integration
 * and a mirror of the screen), and ends with its whole process tree.
 */
export class TerminalSession {
  readonly name: string;
  /** This shell, among every shell the tutorial starts: a new shell (after a restart, say) has another id. */
  readonly id = randomBytes(6).toString('hex');
  /** Which shell this is. */
  readonly shell: ShellName;
  #shell: Shell;
  readonly #cgroup: string | undefined; // the shell's own, where the machine allows one (shell-cgroup.ts)
  #integration: ShellIntegration;
  #parser: ShellMarkParser;
  #replay: ReplayRing;
  #sink: SessionSink | undefined;
  /** Sinks the session was taken from, oldest first: the last one hears when it is free again. */
  #displaced: SessionSink[] = [];
  /** What goes to the sink, in bigger pieces while the shell floods. */
  readonly #toSink = new OutputBatcher((data) => this.#sink?.output(data));
  #unacked = 0;
  #paused = false;
  readonly #screen: ScreenMirror;
  readonly #prompt: PromptState;
  #outputListeners = new Set<(text: string) => void>();
  /** Opened at the first prompt. */
  #input: InputQueue;
  #exit: ShellExit | undefined;
  #exitListeners = new Set<(e: ShellExit) => void>();
  #disposables: Disposable[] = [];
  #closing: Promise<void> | undefined;
  #unreported = false;
  /** When the last sink left (for the idle reaper). */
  detachedAt: number | undefined = Date.now();

  constructor(options: SessionOptions) {
    this.name = options.name;
    this.#replay = new ReplayRing(options.replayLimit);
    this.#integration = new ShellIntegration(options.shellsDir, options.name);
    this.#parser = new ShellMarkParser(this.#integration.nonce);
    this.#screen = new ScreenMirror(options.cols, options.rows);
    this.#prompt = new PromptState(this.#screen);
    const launch = options.shell === 'zsh' ? this.#integration.zsh(options.env.ZDOTDIR) : this.#integration.bash();
    this.shell = options.shell ?? 'bash';
    const env: NodeJS.ProcessEnv = { ...options.env, ...launch.env, TERM: 'xterm-256color', COLORTERM: 'truecolor' };
    // Variables of the terminal the server was started from would lie to the shell.
    for (const k of ['TMUX', 'TMUX_PANE', 'COLUMNS', 'LINES', 'STY', 'PROMPT_COMMAND']) delete env[k];
    boundPyenvRehashWait(env);
    const lockRemoved = removeStalePyenvLock(env);
    this.#shell = spawnShell({ file: launch.file, args: launch.args, cwd: options.cwd, env, cols: options.cols, rows: options.rows });
    this.#cgroup = shellCgroup(this.#shell.pid);
    if (lockRemoved) this.notice(lockRemoved);
    try {
      // So that a server killed before it could end this shell has it ended by the next one.
      recordShell(this.#integration.dir, this.#shell.pid, this.#cgroup);
    } catch (err) {
      this.closeSync();
      this.#integration.dispose();
      throw err;
    }
    this.#disposables.push(
      this.#shell.onData((data) => this.#onData(data)),
      this.#shell.onExit((e) => this.#onExit(e)),
    );
    // Keystrokes count for the prompt's state when they go in (keys typed before the first prompt wait for it).
    this.#input = new InputQueue((data, learner) => {
      if (learner) this.#prompt.typed(data);
      this.#write(data);
    });
  }

  get pid(): number {
    return this.#shell.pid;
  }

  /** True while a command runs (or the shell starts); false at the prompt. */
  get busy(): boolean {
    return this.#prompt.busy;
  }

  /** True when the prompt line holds text that has not run, or readline has left it (a completion question). */
  get lineHasText(): boolean {
    const { kind } = this.#prompt.now;
    return kind === 'text' || kind === 'elsewhere';
  }

  /** The state of the prompt line once the screen has caught up with what went in (see PromptState). */
  async lineState(): Promise<LineState> {
    await this.#input.drained(); // keys typed before the question go in first (held for the prompt, or a slice a turn)
    return this.#exit || this.#closing ? { kind: 'ended' } : this.#prompt.lineState();
  }

  /** True while the pty is paused because the reader has not acknowledged enough output. */
  get paused(): boolean {
    return this.#paused;
  }

  get exited(): ShellExit | undefined {
    return this.#exit;
  }

  /** True once close() has been called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  get attached(): boolean {
    return this.#sink !== undefined;
  }

  /** Output bytes (UTF-8) sent to the sink and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#unacked;
  }

  /** Bytes (UTF-8) of earlier output held for the next attach; never more than the replay limit. */
  get replayBytes(): number {
    return this.#replay.bytes;
  }

  /** Attaches a sink (the previous one is told it was replaced) and returns the output to replay. */
  attach(sink: SessionSink, cols: number, rows: number): string {
    this.#displaced = this.#displaced.filter((s) => s !== sink);
    if (this.#sink && this.#sink !== sink) {
      this.#displaced.push(this.#sink);
      this.#sink.detached('replaced');
    }
    // What waits for the old sink is in the replay the new one gets.
    this.#toSink.reset();
    this.#sink = sink;
    this.detachedAt = undefined;
    // The new reader starts with nothing unacknowledged (the replay travels outside the flow).
    this.#unacked = 0;
    this.#setPaused(false);
    this.resize(cols, rows);
    return this.#replay.text();
  }

  /** A sink that asked for the session while another holds it waits to hear that it is free. */
  standBy(sink: SessionSink): void {
    if (this.#sink !== sink && !this.#displaced.includes(sink)) this.#displaced.push(sink);
  }

  /**
   * The sink leaves: the one attached (the last sink the session was taken from then hears that it
   * is free), or one that waits to take it back (its tab closed).
   */
  detach(sink: SessionSink): void {
    if (this.#sink !== sink) {
      this.#displaced = this.#displaced.filter((s) => s !== sink);
      return;
    }
    this.#toSink.reset();
    this.#sink = undefined;
    queueMicrotask(() => {
      if (!this.#sink && !this.#closing) this.#displaced.at(-1)?.free?.();
    });
    this.detachedAt = Date.now();
    // Nobody reads: keep the shell going (a long command must not stall while the page
    // reloads); what it prints goes only into the bounded replay ring.
    this.#unacked = 0;
    this.#setPaused(false);
  }

  /** The sink has written this many more bytes of output. */
  ack(bytes: number): void {
    this.#unacked = Math.max(0, this.#unacked - bytes);
    if (this.#paused && this.#unacked <= FLOW.lowWater) this.#setPaused(false);
  }

  /** Keystrokes from the learner's terminal: Ctrl-C at once, others after the first prompt (InputQueue). */
  input(data: string): void {
    if (this.#exit || this.#closing) return;
    this.#input.push(data, true);
  }

  resize(cols: number, rows: number): void {
    if (this.#exit) return;
    try {
      this.#shell.resize(cols, rows);
      this.#screen.resize(cols, rows);
    } catch {
      // The pty closed in the meantime.
    }
  }

  /**
   * Types a command into the shell as the learner would, with `vars` exported for it, and
   * resolves when its prompt comes back: with its exit status and the line the shell reported
   * it ran (which is not the command when the line held text already). Refuses
   * (ShellBusyError) while another command runs: typed into a running program, the command
   * would be its input.
   */
  typeCommand(command: string, vars: Record<string, string> = {}): Promise<CommandEnd> {
    if (this.#exit || this.#closing)
      return Promise.reject(new SessionError('shell-ended', 'The shell has ended. Reload the page to start a new one.'));
    if (this.#prompt.busy) return Promise.reject(new ShellBusyError());
    this.#integration.exportBeforeNextCommand(vars);
    const ended = this.nextCommandEnd();
    this.#prompt.commandTyped();
    this.#input.push(`${command}\r`);
    return ended;
  }

  /** Resolves at the next command end (prompt) the shell reports, or when the shell ends. */
  nextCommandEnd(): Promise<CommandEnd> {
    return this.#prompt.nextCommandEnd();
  }

  /** Resolves once the shell has shown its first prompt (true), or after `timeoutMs` (false), or when it ends (false). */
  started(timeoutMs: number): Promise<boolean> {
    return this.#prompt.started(timeoutMs);
  }

  /**
   * True once the shell has been found not to report its prompt (an rc the integration did not
   * foresee: one that starts another program, or resets the hooks): see typeUnreported.
   */
  get unreported(): boolean {
    return this.#unreported;
  }

  /**
   * Types a command into a shell that has not reported its first prompt, with `vars` dropped for it
   * as typeCommand does: nothing can tell when (or whether) it ran, so nothing waits for it. Input
   * held for the first prompt goes in from now on.
   */
  typeUnreported(command: string, vars: Record<string, string> = {}): void {
    if (this.#exit || this.#closing) throw new SessionError('shell-ended', 'The shell has ended. Reload the page to start a new one.');
    this.#unreported = true;
    this.#integration.exportBeforeNextCommand(vars);
    this.#input.open();
    this.#input.push(`${command}\r`);
  }

  /**
   * Empties the prompt line whatever holds it: text, a completion question or its pager, or a
   * running command. Ctrl-C does it in each of these states; after each one this waits for the
   * fresh prompt (CLEAR_WAIT_MS at most, and a Ctrl-C that was lost goes in again: interrupt.ts),
   * three times at most. Resolves with the line's state afterwards: `empty` when it worked.
   */
  async clearLine(): Promise<LineState> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const state = await this.lineState();
      if (state.kind === 'empty' || state.kind === 'ended' || state.kind === 'starting') return state;
      const prompt = this.#prompt.nextPrompt();
      const send = () => this.#input.push('\x03');
      if (!(await interruptUntilPrompt({ shellPid: this.#shell.pid, send, prompt, timeoutMs: CLEAR_WAIT_MS }))) return this.lineState();
    }
    return this.lineState();
  }

  /** Shows a line of the tutorial's own in the terminal (dim, in brackets), as if the shell had printed it. */
  notice(text: string): void {
    this.#output(`\x1b[2m[${text}]\x1b[0m\r\n`);
  }

  /** Sends Ctrl-C to the foreground command. */
  interrupt(): void {
    this.input('\x03');
  }

  onOutput(listener: (text: string) => void): Disposable {
    this.#outputListeners.add(listener);
    return { dispose: () => this.#outputListeners.delete(listener) };
  }

  onExit(listener: (e: ShellExit) => void): Disposable {
    this.#exitListeners.add(listener);
    return { dispose: () => this.#exitListeners.delete(listener) };
  }

  /**
   * Ends the shell and every process it started (background and nohup jobs too). The attached
   * sink hears the exit (after the shell's last output), then that it was detached.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#input.close();
      if (!this.#exit) {
        const exited = new Promise<void>((resolve) => this.#exitListeners.add(() => resolve()));
        // Read what the shell still prints, whoever acknowledges it: a paused pty would hold its
        // last output (and node-pty its exit event) until node-pty gives up on it.
        this.#setPaused(false);
        await killSessionTree(this.#shell.pid);
        // node-pty reports the exit once it has read the pty to its end (200 ms at most).
        await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
      } else {
        // The shell is gone; jobs it left behind (nohup) are not.
        await killSessionTree(this.#shell.pid, 0);
      }
      await killCgroup(this.#cgroup); // what left the session (setsid), where the shell has a cgroup
      this.#toSink.flush();
      this.#toSink.reset();
      const sink = this.#sink;
      this.#sink = undefined;
      this.#displaced = [];
      sink?.detached('ended');
      for (const d of this.#disposables) d.dispose();
      this.#integration.dispose();
      this.#screen.dispose();
    })();
    return this.#closing;
  }

  /** For process exit, when nothing asynchronous runs any more. */
  closeSync(): void {
    killSessionTreeSync(this.#shell.pid);
    killCgroupSync(this.#cgroup);
  }

  #onData(data: string): void {
    const { text, parts } = this.#parser.push(data);
    // A mark may make the server announce something (a command's end): the output before it goes first.
    const marked = parts.some((p) => typeof p !== 'string');
    if (text) this.#output(text, false, marked);
    // The screen and the prompt follow text and marks in the order the shell printed them.
    for (const part of parts) {
      if (typeof part === 'string') {
        this.#screen.write(part);
        this.#prompt.output();
        continue;
      }
      this.#prompt.mark(part);
      // Held keys go in once the screen has placed the prompt's end (at 133;D the tty would echo them before it).
      if (part.kind === 'prompt-end') void this.#screen.flushed().then(() => this.#input.open());
    }
  }

  /** Output to the replay, the listeners and the sink (and the screen, unless the caller feeds it). */
  #output(text: string, screen = true, now = screen): void {
    this.#replay.push(text);
    if (screen) this.#screen.write(text);
    for (const l of this.#outputListeners) l(text);
    if (this.#sink) {
      this.#toSink.push(text);
      if (now) this.#toSink.flush();
      this.#unacked += Buffer.byteLength(text, 'utf8');
      if (!this.#paused && this.#unacked >= FLOW.highWater && !this.#closing) this.#setPaused(true);
    }
  }

  /** node-pty reports the exit after the pty has been read to its end, so all output came before. */
  #onExit(e: ShellExit): void {
    this.#exit = e;
    this.#input.close();
    this.#toSink.flush();
    this.#sink?.exited(e);
    for (const l of this.#exitListeners) l(e);
    this.#prompt.shellEnded(exitAsCommandEnd(e));
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    if (paused && this.#exit) return;
    this.#paused = paused;
    if (paused) this.#shell.pause();
    else this.#shell.resume();
  }

  #write(data: string): void {
    try {
      this.#shell.write(data);
    } catch {
      // The pty closed in the meantime; the exit event tells the rest.
    }
  }
}
