import { durationSeconds, type Step } from '../../protocol/content.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { ProgressSnapshot, ServerMessage, StepProgress } from '../../protocol/messages.ts';
import type { CheckResult } from '../../protocol/result.ts';
import { type SessionManager, ShellBusyError } from '../terminal/session-manager.ts';
import type { ChapterInfo, ContentIndex } from './content.ts';
import { newMarker } from './marker.ts';
import { ProgressNotSavedError } from './progress.ts';

/** What the controller needs of the progress store (server/tutorial/progress.ts). */
export interface ProgressLike {
  snapshot(hashes: Record<string, Record<string, string>>): ProgressSnapshot;
  set(chapter: string, step: string, progress: StepProgress, contentHash: string): Promise<void>;
  resetChapter(chapter: string): Promise<void>;
}

export type CheckRunner = (step: Step, marker: string | undefined) => Promise<CheckResult>;

/**
 * How long one of the step's commands may run when the tutorial runs it for the learner:
 * twice the step's expected duration, plus ten seconds for a slow machine.
 */
export function commandDeadlineMs(step: Step, slack = 2): number {
  return (durationSeconds(step.duration) * slack + 10) * 1000;
}

/**
 * Most checks that run at once per server; the others wait their turn. A check may start
 * processes (a command probe), and a page that asks for a thousand checks at once must not make
 * the machine run a thousand processes.
 */
export const MAX_CONCURRENT_CHECKS = 4;

/** A request the page made that cannot be carried out; the message is a full sentence. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The flow of a step, shared by the page (over the websocket) and the headless runner: type a
 * step's command into the chapter's shell with the attempt's marker exported, wait for it to
 * end, run the check, store and announce the result.
 */
export class StepController {
  readonly #markers = new Map<string, string>();
  readonly #chapterRuns = new Map<string, AbortController>();
  readonly #checkSlots: Slots;

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
    return this.#markers.get(`${chapter}/${step}`);
  }

  /** Every stored step's progress, for a page that connects (changes follow as `step-progress`). */
  progress(): ProgressSnapshot {
    const hashes: Record<string, Record<string, string>> = {};
    for (const c of this.deps.content.chapters) hashes[c.id] = c.hashes;
    return this.deps.progress.snapshot(hashes);
  }

  /**
   * Types command `index` of the step into the chapter's shell and resolves with its exit
   * status. The first command of a step starts a new attempt with a new marker. After the last
   * command (or a failing one) the step's check runs on its own.
   */
  async run(chapterId: string, stepId: string, index: number, options: { autoCheck?: boolean; deadlineMs?: number } = {}): Promise<number> {
    const { chapter, step } = this.find(chapterId, stepId) as { chapter: ChapterInfo; step: Step };
    const command = step.run[index];
    if (command === undefined) {
      throw new RequestError(
        'unknown-command',
        `The step "${stepId}" has ${step.run.length} command(s); there is no command number ${index + 1}.`,
      );
    }
    const session = this.deps.sessions.get(chapter.id);
    if (!session || session.exited) {
      throw new RequestError('no-shell', 'The chapter has no shell yet. Reload the page to start one.');
    }
    const key = `${chapter.id}/${step.id}`;
    let marker = this.#markers.get(key);
    if (index === 0 || !marker) {
      marker = newMarker(chapter.id, step.id);
      this.#markers.set(key, marker);
    }
    // A shell that is still starting gets a moment to show its first prompt.
    await session.started(10_000);
    if (session.busy) throw new RequestError('shell-busy', new ShellBusyError().message);
    // Typed onto the learner's unfinished line, the command would run as something else.
    if (session.lineHasText) {
      throw new RequestError(
        'line-not-empty',
        'There is text at the prompt that has not been run. Press Enter to run it, or Ctrl-U to clear it, then press Run again.',
      );
    }
    const ended = session.typeCommand(command, { TUTORIAL_MARKER: marker, TUTORIAL_STEP: key });
    await this.#set(chapter, step, { state: 'running', at: new Date().toISOString() });
    const { exitCode } =
      options.deadlineMs === undefined ? await ended : await this.#withDeadline(chapter.id, ended, options.deadlineMs, command);
    const last = index === step.run.length - 1;
    if ((options.autoCheck ?? true) && (last || exitCode !== 0)) await this.check(chapter.id, step.id);
    return exitCode;
  }

  /**
   * Runs the step's check (when one of the server's check slots is free), stores the result and
   * tells every page.
   */
  async check(chapterId: string, stepId: string): Promise<CheckResult> {
    const { chapter, step } = this.find(chapterId, stepId) as { chapter: ChapterInfo; step: Step };
    this.deps.broadcast({ type: 'check-started', chapter: chapter.id, step: step.id });
    const result = await this.#checkSlots.run(() => this.deps.runCheck(step, this.marker(chapter.id, step.id)));
    await this.#set(chapter, step, { state: result.ok ? 'passed' : 'failed', at: new Date().toISOString(), result });
    return result;
  }

  async reset(chapterId: string): Promise<void> {
    const { chapter } = this.find(chapterId);
    await this.deps.progress.resetChapter(chapter.id);
    for (const s of chapter.steps) {
      this.#markers.delete(`${chapter.id}/${s.id}`);
      this.deps.broadcast({ type: 'step-progress', chapter: chapter.id, step: s.id, progress: { state: 'not-started' } });
    }
  }

  /**
   * Runs the chapter's steps in order (up to and including `upTo`), each command and then the
   * check, stopping at the first failure. Steps that already passed are run again.
   */
  async runChapter(chapterId: string, upTo?: string): Promise<'passed' | 'failed' | 'stopped'> {
    const { chapter } = this.find(chapterId, upTo);
    if (this.#chapterRuns.has(chapter.id)) throw new RequestError('already-running', 'This chapter is already being run for you.');
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
            await this.run(chapter.id, step.id, i, { autoCheck: false, deadlineMs: commandDeadlineMs(step) });
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
  async #withDeadline(
    chapter: string,
    ended: Promise<{ exitCode: number }>,
    deadlineMs: number,
    command: string,
  ): Promise<{ exitCode: number }> {
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

  stopChapter(chapterId: string): void {
    this.#chapterRuns.get(chapterId)?.abort();
  }

  /** The server is closing: checks still waiting for a slot are dropped (the running ones finish). */
  close(): void {
    this.#checkSlots.cancel(
      () => new RequestError('server-closing', 'The tutorial server is shutting down. Start it again, then check again.'),
    );
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
    let notSaved: ProgressNotSavedError | undefined;
    try {
      await this.deps.progress.set(chapter.id, step.id, progress, chapter.hashes[step.id] ?? '');
    } catch (err) {
      if (!(err instanceof ProgressNotSavedError)) throw err;
      notSaved = err;
    }
    this.deps.broadcast({ type: 'step-progress', chapter: chapter.id, step: step.id, progress });
    if (notSaved) throw new RequestError('progress-not-saved', notSaved.message);
  }
}

/** Runs at most `max` tasks at once; the others wait in order. */
class Slots {
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
