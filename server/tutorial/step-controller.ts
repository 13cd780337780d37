import { durationSeconds, type Step } from '../../protocol/content.ts';
import type { ProgressSnapshot, ServerMessage, StepProgress } from '../../protocol/messages.ts';
import type { CheckResult } from '../../protocol/result.ts';
import { setsShellState } from '../../protocol/shell-state.ts';
import type { FailedCommand } from '../checks/diagnosis.ts';
import type { TerminalSession } from '../terminal/session.ts';
import type { CommandEnd, SessionManager } from '../terminal/session-manager.ts';
import type { ChapterInfo, ContentIndex } from './content.ts';
import { newMarker } from './marker.ts';
import { ProgressNotSavedError } from './progress.ts';
import { RequestError, RunRefusedError } from './request-errors.ts';
import { INTERRUPTED_BY_RESTART, newShellNotice, notAsWritten, refusal } from './run-words.ts';
import { MAX_CONCURRENT_CHECKS, Slots } from './slots.ts';

export { MAX_CONCURRENT_CHECKS, RequestError, RunRefusedError };

/** What the controller needs of the progress store (server/tutorial/progress.ts). */
export interface ProgressLike {
  snapshot(hashes: Record<string, Record<string, string>>): ProgressSnapshot;
  set(chapter: string, step: string, progress: StepProgress, contentHash: string): Promise<void>;
  resetChapter(chapter: string): Promise<void>;
}

/** Runs a step's check with the attempt's marker and the time its first command was typed (ms since the epoch). */
export type CheckRunner = (step: Step, marker: string | undefined, startedAt?: number, failed?: FailedCommand) => Promise<CheckResult>;

/**
 * How long one of the step's commands may run when the tutorial runs it for the learner:
 * twice the step's expected duration, plus ten seconds for a slow machine.
 */
export function commandDeadlineMs(step: Step, slack = 2): number {
  return (durationSeconds(step.duration) * slack + 10) * 1000;
}

/** How one command typed for the learner went. */
export interface RunOutcome {
  /** The shell ran the command as written (or ran nothing: then false too). */
  asWritten: boolean;
  /** Its exit status, when it ran as written. */
  exitCode?: number;
  /** The step's result when it did not run as written (stored already). */
  result?: CheckResult;
  /** The command, its status and what it printed, when it ran as written and failed. */
  failed?: FailedCommand;
}

/** One attempt at a step: from its first command on, with its marker and the commands done so far. */
interface Attempt {
  marker: string;
  /** When its first command was typed (ms since the epoch): files older than this are left from before. */
  startedAt: number;
  done: Set<number>;
  shell: string;
}

/**
 * The flow of a step, shared by the page (over the websocket) and the headless runner: type a
 * step's command into the chapter's shell on an empty prompt line with the attempt's marker
 * exported, wait for it to end, check that the shell ran it as written, run the check, store and
 * announce the result.
 */
export class StepController {
  readonly #attempts = new Map<string, Attempt>();
  readonly #chapterRuns = new Map<string, AbortController>();
  readonly #checkSlots: Slots;
  /** Steps with a command running in this server (a stored `running` from an earlier server is not). */
  readonly #running = new Set<string>();

  constructor(
    private readonly deps: {
      sessions: SessionManager;
      content: ContentIndex;
      runCheck: CheckRunner;
      progress: ProgressLike;
      /** Tells every open page. */
      broadcast: (message: ServerMessage) => void;
      /** Most checks at once (default MAX_CONCURRENT_CHECKS). */
      maxConcurrentChecks?: number;
    },
  ) {
    this.#checkSlots = new Slots(deps.maxConcurrentChecks ?? MAX_CONCURRENT_CHECKS);
    deps.sessions.onShellStart((name, session) => this.#shellStarted(name, session));
  }

  /** The chapter and step, or a RequestError naming what exists. */
  find(chapterId: string, stepId?: string): { chapter: ChapterInfo; step?: Step } {
    const chapter = this.deps.content.chapter(chapterId);
    if (!chapter) {
      throw new RequestError(
        'unknown-chapter',
        `There is no chapter "${chapterId}". Chapters: ${this.deps.content.chapters.map((c) => c.id).join(', ')}.`,
      );
    }
    if (stepId === undefined) return { chapter };
    const step = chapter.steps.find((s) => s.id === stepId);
    if (!step) {
      throw new RequestError(
        'unknown-step',
        `The chapter "${chapterId}" has no step "${stepId}". Its steps: ${chapter.steps.map((s) => s.id).join(', ') || 'none'}.`,
      );
    }
    return { chapter, step };
  }

  /** The marker of the step's current attempt, if it has been run. */
  marker(chapter: string, step: string): string | undefined {
    return this.#attempts.get(`${chapter}/${step}`)?.marker;
  }

  /**
   * Every stored step's progress, for a page that connects (changes follow as `step-progress`).
   * A step stored as running whose command no longer runs (the server stopped meanwhile) is
   * reported as failed, with why.
   */
  progress(): ProgressSnapshot {
    const hashes: Record<string, Record<string, string>> = {};
    for (const c of this.deps.content.chapters) hashes[c.id] = c.hashes;
    const snapshot = this.deps.progress.snapshot(hashes);
    for (const [chapter, steps] of Object.entries(snapshot)) {
      for (const [step, p] of Object.entries(steps)) {
        if (p.state === 'running' && !this.#running.has(`${chapter}/${step}`)) {
          const { commands, ...rest } = p;
          const notRunning = commands ? { commands: { done: commands.done, total: commands.total } } : {};
          steps[step] = { ...rest, ...notRunning, state: 'failed', result: INTERRUPTED_BY_RESTART };
        }
      }
    }
    return snapshot;
  }

  /**
   * Types command `index` of the step into the chapter's shell and resolves with its exit
   * status; a command that did not run as written is a RequestError. See runCommand.
   */
  async run(
    chapterId: string,
    stepId: string,
    index: number,
    options: { autoCheck?: boolean; deadlineMs?: number; clear?: boolean; shell?: string } = {},
  ): Promise<number> {
    const outcome = await this.runCommand(chapterId, stepId, index, options);
    if (!outcome.asWritten) throw new RequestError('not-as-written', outcome.result?.message ?? 'The command did not run as written.');
    return outcome.exitCode ?? 0;
  }

  /**
   * Types command `index` of the step into the chapter's shell, on an empty prompt line: a line
   * that holds text, a completion question or a running command refuses the Run
   * (RunRefusedError), unless `clear` asks to empty it first (Ctrl-C). The first command of a
   * step starts a new attempt with a new marker. When the prompt comes back, the line the shell
   * reports it ran must be the command: otherwise the step fails, unchecked, saying what ran.
   * After the last command (or a failing one) the step's check runs on its own.
   */
  async runCommand(
    chapterId: string,
    stepId: string,
    index: number,
    options: { autoCheck?: boolean; deadlineMs?: number; clear?: boolean; shell?: string } = {},
  ): Promise<RunOutcome> {
    const { chapter, step } = this.find(chapterId, stepId) as { chapter: ChapterInfo; step: Step };
    const command = step.run[index];
    if (command === undefined) {
      throw new RequestError(
        'unknown-command',
        `The step "${stepId}" has ${step.run.length} command(s); there is no command number ${index + 1}.`,
      );
    }
    // A catch-up types the steps of earlier chapters into the shell of the chapter the learner is in.
    const shell = options.shell ?? chapter.id;
    const session = this.deps.sessions.get(shell);
    if (!session || session.exited) {
      throw new RequestError('no-shell', 'The chapter has no shell yet. Reload the page to start one.');
    }
    // A shell that is still starting gets a moment to show its first prompt.
    await session.started(10_000);
    // The attempt starts with the click, typed or refused: a file older than it is from before.
    const key = `${chapter.id}/${step.id}`;
    let attempt = this.#attempts.get(key);
    if (index === 0 || !attempt) {
      attempt = { marker: newMarker(chapter.id, step.id), startedAt: Date.now(), done: new Set(), shell: session.id };
      this.#attempts.set(key, attempt);
    }
    let line = await session.lineState();
    if (line.kind !== 'empty' && options.clear) {
      line = await session.clearLine();
      if (line.kind !== 'empty') throw new RunRefusedError(refusal(line, true), index);
    }
    if (line.kind !== 'empty') throw new RunRefusedError(refusal(line), index);

    attempt.shell = session.id;
    attempt.done.delete(index);
    // What the command prints: a failure's explanation reads it (command not found, Ctrl-C).
    let output = '';
    const printed = session.onOutput((text) => {
      output = (output + text).slice(-16 * 1024);
    });
    const typed = session.typeCommand(command, { TUTORIAL_MARKER: attempt.marker, TUTORIAL_STEP: key });
    this.#running.add(key);
    let end: CommandEnd;
    try {
      await this.#set(chapter, step, { state: 'running', ...this.#attemptFields(step, attempt, index) });
      end = options.deadlineMs === undefined ? await typed : await this.#withDeadline(shell, typed, options.deadlineMs, command);
    } finally {
      printed.dispose();
      this.#running.delete(key);
    }
    if (!end.executed || (end.ran !== undefined && end.ran.trim() !== command.trim())) {
      const result = notAsWritten(command, end);
      await this.#set(chapter, step, { state: 'failed', result, ...this.#attemptFields(step, attempt) });
      return { asWritten: false, result };
    }
    if (end.exitCode === 0) attempt.done.add(index);
    const last = index === step.run.length - 1;
    const failed = end.exitCode !== 0 ? { command, exitCode: end.exitCode, output } : undefined;
    if ((options.autoCheck ?? true) && (last || failed)) await this.check(chapter.id, step.id, failed);
    else if (end.exitCode === 0 && !last) await this.#set(chapter, step, { state: 'in-progress', ...this.#attemptFields(step, attempt) });
    return { asWritten: true, exitCode: end.exitCode, ...(failed ? { failed } : {}) };
  }

  /**
   * Runs the step's commands in order from `from` (default the first), each once the previous
   * one has ended (133;D), and then its check; stops at a command that fails (its check runs then,
   * as after a Run that fails) or does not run as written.
   */
  async runStep(chapterId: string, stepId: string, options: { clear?: boolean; from?: number } = {}): Promise<void> {
    const { step } = this.find(chapterId, stepId) as { step: Step };
    if (step.run.length === 0) {
      await this.check(chapterId, stepId);
      return;
    }
    const from = Math.min(options.from ?? 0, step.run.length - 1);
    for (let i = from; i < step.run.length; i++) {
      const outcome = await this.runCommand(chapterId, stepId, i, { clear: i === from && options.clear === true });
      if (!outcome.asWritten || outcome.exitCode !== 0) return;
    }
  }

  /**
   * Runs the step's check (when one of the server's check slots is free), stores the result and tells every page. `failed` is the step's command
   * that just failed in the terminal: the result then says why (not found, interrupted).
   */
  async check(chapterId: string, stepId: string, failed?: FailedCommand): Promise<CheckResult> {
    const { chapter, step } = this.find(chapterId, stepId) as { chapter: ChapterInfo; step: Step };
    this.deps.broadcast({ type: 'check-started', chapter: chapter.id, step: step.id });
    const attempt = this.#attempts.get(`${chapter.id}/${step.id}`);
    const result = await this.#checkSlots.run(() => this.deps.runCheck(step, attempt?.marker, attempt?.startedAt, failed));
    await this.#set(chapter, step, {
      state: result.ok ? 'passed' : 'failed',
      result,
      ...(attempt ? this.#attemptFields(step, attempt) : {}),
    });
    return result;
  }

  async reset(chapterId: string): Promise<void> {
    const { chapter } = this.find(chapterId);
    await this.deps.progress.resetChapter(chapter.id);
    for (const s of chapter.steps) {
      this.#attempts.delete(`${chapter.id}/${s.id}`);
      this.deps.broadcast({ type: 'step-progress', chapter: chapter.id, step: s.id, progress: { state: 'not-started' } });
    }
  }

  /**
   * Runs the chapter's steps in order (up to and including `upTo`), each command once the
   * previous one has ended and then the check, stopping at the first failure. Steps that already
   * passed are run again.
   */
  async runChapter(chapterId: string, upTo?: string, options: { clear?: boolean } = {}): Promise<'passed' | 'failed' | 'stopped'> {
    const { chapter } = this.find(chapterId, upTo);
    if (this.#chapterRuns.has(chapter.id)) throw new RequestError('already-running', 'This chapter is already being run for you.');
    await this.#emptyLineForChapterRun(chapter, options.clear === true);
    const abort = new AbortController();
    this.#chapterRuns.set(chapter.id, abort);
    try {
      const last = upTo ? chapter.steps.findIndex((s) => s.id === upTo) : chapter.steps.length - 1;
      for (const step of chapter.steps.slice(0, last + 1)) {
        if (abort.signal.aborted) return this.#chapterRun(chapter.id, 'stopped', step.id);
        this.#chapterRun(chapter.id, 'running', step.id);
        for (let i = 0; i < step.run.length; i++) {
          if (abort.signal.aborted) return this.#chapterRun(chapter.id, 'stopped', step.id);
          try {
            const outcome = await this.runCommand(chapter.id, step.id, i, { autoCheck: false, deadlineMs: commandDeadlineMs(step) });
            if (!outcome.asWritten) return this.#chapterRun(chapter.id, 'failed', step.id);
          } catch (err) {
            if (!(err instanceof RequestError)) throw err;
            const result: CheckResult = { ok: false, message: err.message, evidence: [] };
            await this.#set(chapter, step, { state: 'failed', at: new Date().toISOString(), result });
            return this.#chapterRun(chapter.id, 'failed', step.id);
          }
        }
        const result = await this.check(chapter.id, step.id);
        if (!result.ok) return this.#chapterRun(chapter.id, 'failed', step.id);
      }
      return this.#chapterRun(chapter.id, 'passed');
    } finally {
      this.#chapterRuns.delete(chapter.id);
    }
  }

  /**
   * Waits for a command to end; past the deadline it is interrupted (Ctrl-C, as the learner
   * would) and, if the prompt still does not come back, the chapter's shell is replaced, so the
   * next command finds a usable shell either way.
   */
  async #withDeadline(chapter: string, ended: Promise<CommandEnd>, deadlineMs: number, command: string): Promise<CommandEnd> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), deadlineMs);
    });
    const first = await Promise.race([ended, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    const session = this.deps.sessions.get(chapter);
    session?.interrupt();
    const after = await Promise.race([ended, new Promise<'late'>((r) => setTimeout(() => r('late'), 5000))]);
    if (after === 'late') {
      await this.deps.sessions.end(chapter);
      this.deps.sessions.open(chapter);
    }
    throw new RequestError(
      'command-timeout',
      `\`${command}\` did not finish within ${Math.round(deadlineMs / 1000)} seconds, so it was interrupted. Run it by hand to see where it waits.`,
    );
  }

  /** A chapter run starts on an empty prompt line, as each Run does; `clear` empties it first. */
  async #emptyLineForChapterRun(chapter: ChapterInfo, clear: boolean): Promise<void> {
    const session = this.deps.sessions.get(chapter.id);
    if (!session || session.exited) return;
    await session.started(10_000);
    let line = await session.lineState();
    if (line.kind !== 'empty' && clear) {
      line = await session.clearLine();
      if (line.kind !== 'empty') throw new RunRefusedError(refusal(line, true), 0);
    }
    if (line.kind !== 'empty') throw new RunRefusedError(refusal(line), 0);
  }

  stopChapter(chapterId: string): void {
    this.#chapterRuns.get(chapterId)?.abort();
  }

  /** The server is closing: checks still waiting for a slot are dropped (the running ones finish). */
  close(): void {
    this.#checkSlots.cancel(
      () => new RequestError('server-closing', 'The tutorial server is shutting down. Start it again, then check again.'),
    );
  }

  /**
   * A new shell for a chapter whose earlier steps ran in another one: it says so in the terminal,
   * naming the steps whose commands changed the old shell (a variable, the folder).
   */
  #shellStarted(chapterId: string, session: TerminalSession): void {
    const chapter = this.deps.content.chapter(chapterId);
    const stored = this.deps.progress.snapshot({})[chapterId];
    if (!chapter || !stored) return;
    const earlier = chapter.steps.filter((s) => {
      const shell = stored[s.id]?.shell;
      return shell !== undefined && shell !== session.id;
    });
    if (earlier.length === 0) return;
    const again = earlier.filter((s) => s.run.some(setsShellState)).map((s) => `Step ${chapter.steps.indexOf(s) + 1}, ${s.title}`);
    session.notice(newShellNotice(again));
  }

  /** The attempt's part of a step's progress: its commands and its shell. */
  #attemptFields(step: Step, attempt: Attempt, running?: number) {
    const done = [...attempt.done].sort((a, b) => a - b);
    return {
      commands: running === undefined ? { done, total: step.run.length } : { done, total: step.run.length, running },
      shell: attempt.shell,
      marker: attempt.marker,
      startedAt: attempt.startedAt,
    };
  }

  #chapterRun<S extends 'passed' | 'failed' | 'stopped' | 'running'>(chapter: string, state: S, step?: string): S {
    this.deps.broadcast(step ? { type: 'chapter-run', chapter, state, step } : { type: 'chapter-run', chapter, state });
    return state;
  }

  /**
   * Stores a step's new progress and tells every page: one message per change. When it cannot be
   * written (a full disk) the pages still hear the change, and the request fails with the reason.
   */
  async #set(chapter: ChapterInfo, step: Step, progress: StepProgress): Promise<void> {
    const stamped = { ...progress, at: progress.at ?? new Date().toISOString() };
    let notSaved: ProgressNotSavedError | undefined;
    try {
      await this.deps.progress.set(chapter.id, step.id, stamped, chapter.hashes[step.id] ?? '');
    } catch (err) {
      if (!(err instanceof ProgressNotSavedError)) throw err;
      notSaved = err;
    }
    this.deps.broadcast({ type: 'step-progress', chapter: chapter.id, step: step.id, progress: stamped });
    if (notSaved) throw new RequestError('progress-not-saved', notSaved.message);
  }
}
