import { FLOW } from '../protocol/messages.ts';
import { type Disposable, killSessionTree, killSessionTreeSync, type Shell, spawnShell } from './pty.ts';
import { type CommandEnd, Osc133Parser, ShellIntegration } from './shell-integration.ts';

/** Where a session's output goes: the attached websocket, or the headless runner. */
export interface SessionSink {
  /** Terminal output, UTF-8 text. The sink acknowledges it later with `session.ack(bytes)`. */
  output(text: string): void;
  /** Another sink took the session over, or the session ended. */
  detached(reason: 'replaced' | 'ended'): void;
}

export interface SessionOptions {
  /** The chapter this shell belongs to; also names its integration folder. */
  name: string;
  cwd: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  cols: number;
  rows: number;
  /** Most characters of earlier output kept for a reattach. */
  replayLimit: number;
}

/** Thrown when a command is typed into a shell that is still busy with another. */
export class ShellBusyError extends Error {
  readonly code = 'shell-busy';
  constructor() {
    super('The shell is still busy with another command. Wait for it to finish, or press Ctrl-C in the terminal, then try again.');
  }
}

/** How many characters of input go into the pty at a time: a canonical-mode line stops at 4,095 bytes. */
const INPUT_SLICE = 1024;

/**
 * One shell in a pty that outlives its websocket: it keeps a bounded replay of its output for
 * the next attach, pauses the pty while its reader lags (flow control with acks), types input in
 * slices, knows when a command ends (shell integration), and ends with its whole process tree.
 */
export class TerminalSession {
  readonly name: string;
  readonly createdAt = Date.now();
  #shell: Shell;
  #integration: ShellIntegration;
  #parser = new Osc133Parser();
  #replay: string[] = [];
  #replayChars = 0;
  #replayLimit: number;
  #sink: SessionSink | undefined;
  #unacked = 0;
  #paused = false;
  /** The shell is running a command (Enter was pressed) and has not shown its prompt again. */
  #busy = true;
  /** The shell has shown its first prompt. */
  #prompted = false;
  #waiters: ((end: CommandEnd) => void)[] = [];
  #endListeners = new Set<(end: CommandEnd) => void>();
  #outputListeners = new Set<(text: string) => void>();
  #input: string[] = [];
  #writing = false;
  #exit: { exitCode: number; signal?: number } | undefined;
  #exitListeners = new Set<(e: { exitCode: number; signal?: number }) => void>();
  #disposables: Disposable[] = [];
  #closing: Promise<void> | undefined;
  /** When the last sink left (for the idle reaper). */
  detachedAt: number | undefined = Date.now();

  constructor(options: SessionOptions) {
    this.name = options.name;
    this.#replayLimit = options.replayLimit;
    this.#integration = new ShellIntegration(options.stateDir, `${options.name}-${process.pid}-${Date.now().toString(36)}`);
    const bash = this.#integration.bash();
    const env: NodeJS.ProcessEnv = { ...options.env, ...bash.env, TERM: 'xterm-256color', COLORTERM: 'truecolor' };
    // Variables of the terminal the server was started from would lie to the shell.
    for (const k of ['TMUX', 'TMUX_PANE', 'COLUMNS', 'LINES', 'STY', 'PROMPT_COMMAND']) delete env[k];
    this.#shell = spawnShell({ file: bash.file, args: bash.args, cwd: options.cwd, env, cols: options.cols, rows: options.rows });
    this.#disposables.push(
      this.#shell.onData((data) => this.#onData(data)),
      this.#shell.onExit((e) => this.#onExit(e)),
    );
  }

  get pid(): number {
    return this.#shell.pid;
  }

  /** True while a command runs; false at the prompt. */
  get busy(): boolean {
    return this.#busy;
  }

  /** True while the pty is paused because the reader has not acknowledged enough output. */
  get paused(): boolean {
    return this.#paused;
  }

  get exited(): { exitCode: number; signal?: number } | undefined {
    return this.#exit;
  }

  get attached(): boolean {
    return this.#sink !== undefined;
  }

  /** Output bytes (UTF-8) sent to the sink and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#unacked;
  }

  /** Attaches a sink (the previous one is told it was replaced) and returns the output to replay. */
  attach(sink: SessionSink, cols: number, rows: number): string {
    if (this.#sink && this.#sink !== sink) this.#sink.detached('replaced');
    this.#sink = sink;
    this.detachedAt = undefined;
    this.#unacked = 0;
    this.#setPaused(false);
    this.resize(cols, rows);
    return this.#replay.join('');
  }

  detach(sink: SessionSink): void {
    if (this.#sink !== sink) return;
    this.#sink = undefined;
    this.detachedAt = Date.now();
    // Nobody reads: keep the shell going; the replay buffer is bounded.
    this.#unacked = 0;
    this.#setPaused(false);
  }

  /** The sink has written this many more bytes of output. */
  ack(bytes: number): void {
    this.#unacked = Math.max(0, this.#unacked - bytes);
    if (this.#paused && this.#unacked < FLOW.lowWater) this.#setPaused(false);
  }

  /** Keystrokes from the learner's terminal. */
  input(data: string): void {
    if (this.#exit) return;
    if (/[\r\n]/.test(data)) this.#busy = true;
    this.#enqueue(data);
  }

  resize(cols: number, rows: number): void {
    if (this.#exit) return;
    try {
      this.#shell.resize(cols, rows);
    } catch {
      // The pty closed in the meantime.
    }
  }

  /**
   * Types a command into the shell as the learner would, with `vars` exported for it, and
   * resolves with its exit status when its prompt comes back.
   */
  typeCommand(command: string, vars: Record<string, string> = {}): Promise<CommandEnd> {
    if (this.#exit) return Promise.reject(new Error('The shell has ended.'));
    if (this.#busy) return Promise.reject(new ShellBusyError());
    this.#integration.exportBeforeNextCommand(vars);
    const ended = this.nextCommandEnd();
    this.#busy = true;
    this.#enqueue(`${command}\r`);
    return ended;
  }

  /** Resolves at the next command end (prompt) the shell reports. */
  nextCommandEnd(): Promise<CommandEnd> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once the shell has shown its first prompt, or after `timeoutMs`. */
  started(timeoutMs: number): Promise<void> {
    if (this.#prompted || this.#exit) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Resolves when the shell shows its prompt (at once if it does already). */
  async idle(): Promise<void> {
    if (!this.#busy) return;
    await this.nextCommandEnd();
  }

  /** Sends Ctrl-C to the foreground command. */
  interrupt(): void {
    this.#enqueue('\x03');
  }

  onCommandEnd(listener: (end: CommandEnd) => void): Disposable {
    this.#endListeners.add(listener);
    return { dispose: () => this.#endListeners.delete(listener) };
  }

  onOutput(listener: (text: string) => void): Disposable {
    this.#outputListeners.add(listener);
    return { dispose: () => this.#outputListeners.delete(listener) };
  }

  onExit(listener: (e: { exitCode: number; signal?: number }) => void): Disposable {
    this.#exitListeners.add(listener);
    return { dispose: () => this.#exitListeners.delete(listener) };
  }

  /** Ends the shell and every process it started (background and nohup jobs too). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const sink = this.#sink;
      this.#sink = undefined;
      sink?.detached('ended');
      if (!this.#exit) await killSessionTree(this.#shell.pid);
      else await killSessionTree(this.#shell.pid, 0);
      for (const d of this.#disposables) d.dispose();
      this.#integration.dispose();
    })();
    return this.#closing;
  }

  /** For process exit, when nothing asynchronous runs any more. */
  closeSync(): void {
    killSessionTreeSync(this.#shell.pid);
  }

  #onData(data: string): void {
    const { text, ends } = this.#parser.push(data);
    if (text) {
      this.#remember(text);
      for (const l of this.#outputListeners) l(text);
      if (this.#sink) {
        this.#sink.output(text);
        this.#unacked += Buffer.byteLength(text, 'utf8');
        if (!this.#paused && this.#unacked > FLOW.highWater) this.#setPaused(true);
      }
    }
    for (const end of ends) {
      this.#busy = false;
      this.#prompted = true;
      const waiters = this.#waiters.splice(0);
      for (const w of waiters) w(end);
      for (const l of this.#endListeners) l(end);
    }
  }

  #onExit(e: { exitCode: number; signal?: number }): void {
    this.#exit = e;
    this.#busy = true;
    for (const l of this.#exitListeners) l(e);
    // Whoever waits for a command end hears it ended with the shell (status 128 + signal, as bash reports).
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w({ exitCode: e.signal ? 128 + e.signal : e.exitCode });
  }

  #remember(text: string): void {
    this.#replay.push(text);
    this.#replayChars += text.length;
    while (this.#replayChars > this.#replayLimit && this.#replay.length > 1) {
      this.#replayChars -= this.#replay.shift()!.length;
    }
    if (this.#replayChars > this.#replayLimit) {
      const only = this.#replay[0]!;
      this.#replay[0] = only.slice(only.length - this.#replayLimit);
      this.#replayChars = this.#replay[0].length;
    }
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused || this.#exit) return;
    this.#paused = paused;
    if (paused) this.#shell.pause();
    else this.#shell.resume();
  }

  #enqueue(data: string): void {
    let i = 0;
    while (i < data.length) {
      let end = Math.min(data.length, i + INPUT_SLICE);
      // Never split a surrogate pair.
      const last = data.charCodeAt(end - 1);
      if (end < data.length && last >= 0xd800 && last <= 0xdbff) end += 1;
      this.#input.push(data.slice(i, end));
      i = end;
    }
    if (!this.#writing) this.#drain();
  }

  #drain(): void {
    const next = this.#input.shift();
    if (next === undefined || this.#exit) {
      this.#writing = false;
      this.#input = [];
      return;
    }
    this.#writing = true;
    this.#shell.write(next);
    // Give the shell a moment to read each slice: a full pty input buffer drops bytes.
    setTimeout(() => this.#drain(), this.#input.length > 0 ? 2 : 0);
  }
}

export interface SessionManagerOptions {
  stateDir: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** Most shells at once. */
  maxSessions: number;
  /** A shell with no attached page ends after this many milliseconds. */
  idleGraceMs: number;
  replayLimit: number;
}

/** Thrown when one more shell would pass the limit. */
export class SessionLimitError extends Error {
  readonly code = 'too-many-sessions';
  constructor(max: number) {
    super(`The tutorial server already runs ${max} shells, its limit. Close other tutorial tabs, or restart the server.`);
  }
}

/** The shells of one server, one per chapter. */
export class SessionManager {
  readonly #sessions = new Map<string, TerminalSession>();
  readonly #options: SessionManagerOptions;
  readonly #reaper: NodeJS.Timeout;

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#reaper = setInterval(() => this.reapIdle(), Math.max(50, Math.min(10_000, options.idleGraceMs / 4)));
    this.#reaper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(name: string): TerminalSession | undefined {
    return this.#sessions.get(name);
  }

  all(): TerminalSession[] {
    return [...this.#sessions.values()];
  }

  /** The chapter's shell, started in the workspace when there is none (or the old one ended). */
  open(name: string, cols = 100, rows = 30): TerminalSession {
    const existing = this.#sessions.get(name);
    if (existing && !existing.exited) return existing;
    if (existing) {
      void existing.close();
      this.#sessions.delete(name);
    }
    if (this.#sessions.size >= this.#options.maxSessions) throw new SessionLimitError(this.#options.maxSessions);
    const session = new TerminalSession({
      name,
      cwd: this.#options.workspace,
      stateDir: this.#options.stateDir,
      env: this.#options.env,
      cols,
      rows,
      replayLimit: this.#options.replayLimit,
    });
    this.#sessions.set(name, session);
    return session;
  }

  /** Ends the chapter's shell. */
  async end(name: string): Promise<void> {
    const s = this.#sessions.get(name);
    if (!s) return;
    this.#sessions.delete(name);
    await s.close();
  }

  /** Ends the shells that have had no page attached for longer than the grace period. */
  reapIdle(now = Date.now()): void {
    for (const [name, s] of this.#sessions) {
      if (s.detachedAt !== undefined && now - s.detachedAt >= this.#options.idleGraceMs) void this.end(name);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#reaper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  closeAllSync(): void {
    for (const s of this.#sessions.values()) s.closeSync();
  }
}
