import type { Step } from '../../protocol/content.ts';
import type { NeedStatus, ServerMessage } from '../../protocol/messages.ts';
import type { CheckResult } from '../../protocol/result.ts';
import { STACK_SERVICES } from '../../protocol/services.ts';
import type { DiagnosisContext, FailedCommand } from '../checks/diagnosis.ts';
import type { SessionManager } from '../terminal/session-manager.ts';
import { inVirtualenv } from '../workspace.ts';
import type { ChapterInfo, ContentIndex } from './content.ts';
import { commandDeadlineMs, RequestError, type StepController } from './step-controller.ts';

/**
 * What the tutorial knows for a diagnosis: which step installs a program (the steps' `installs`)
 * and whether the workspace's virtualenv has it.
 */
export function diagnosisContext(content: ContentIndex, workspace: string): DiagnosisContext {
  const installers = new Map<string, { step: string; chapter: string }>();
  for (const c of content.chapters) {
    for (const s of c.steps)
      for (const program of s.installs ?? []) if (!installers.has(program)) installers.set(program, { step: s.title, chapter: c.title });
  }
  return { installedBy: (program) => installers.get(program), inVirtualenv: (program) => inVirtualenv(workspace, program) };
}

type Outcome = 'passed' | 'failed' | 'stopped';

/** A compose service by the name the stack panel gives it ("postgres" is PostgreSQL). */
const serviceName = (id: string) => STACK_SERVICES.find((s) => s.id === id)?.name ?? id;

/**
 * A chapter's needs (the steps of earlier chapters it builds on, server/tutorial/content.ts) at
 * work: which are in place now, by their checks, and a catch-up that runs the missing ones, and
 * then the chapter's own steps up to one, in the shell of the chapter the learner is in, each
 * command once the one before has ended. Shared by the page (`needs`, `catch-up`) and the
 * headless runner.
 */
export class Needs {
  readonly #runs = new Map<string, AbortController>();

  constructor(
    private readonly deps: {
      content: ContentIndex;
      controller: StepController;
      sessions: SessionManager;
      /** Runs a step's check in the learner's environment; nothing is stored. */
      runCheck: (step: Step) => Promise<CheckResult>;
      /** Tells every open page. */
      broadcast: (message: ServerMessage) => void;
    },
  ) {}

  /** Each of the chapter's needs, with whether its check passes now (nothing is stored or announced). */
  async status(chapterId: string): Promise<NeedStatus[]> {
    const { chapter } = this.deps.controller.find(chapterId);
    const needs = this.deps.content.needs(chapter.id);
    const results = await Promise.all(needs.map((n) => this.#need(n.step)));
    return needs.map((n, i) => ({ chapter: n.chapter.id, step: n.step.id, ok: results[i]!.ok, message: results[i]!.message }));
  }

  /**
   * A need's check. One that wants several of the stack's containers (“Start every service”)
   * names every service that is not running, not only the first of its list: the MLflow chapter's
   * panel said Elasticsearch was missing, which that chapter does not use.
   */
  async #need(step: Step): Promise<CheckResult> {
    const result = await this.deps.runCheck(step);
    const parts = !result.ok && 'all' in step.check ? step.check.all : [];
    const containers = parts.flatMap((p) => ('kind' in p && p.kind === 'container' ? [p] : []));
    if (containers.length < 2) return result;
    const each = await Promise.all(containers.map((c) => this.deps.runCheck({ ...step, check: c })));
    const down = containers.filter((_, i) => !each[i]!.ok).map((c) => serviceName(c.service));
    if (down.length === 0) return result;
    const list = down.length === 1 ? down[0]! : `${down.slice(0, -1).join(', ')} and ${down.at(-1)}`;
    return { ...result, message: `Not running and healthy yet: ${list}.` };
  }

  /**
   * Runs what the chapter needs and lacks, then its own steps up to and including `upTo` (none
   * without it), typed into the chapter's shell; each step's check must pass before the next
   * step. Tells every page how it goes (`catch-up`), and stops at the first failure or when asked.
   */
  async catchUp(chapterId: string, upTo?: string): Promise<Outcome> {
    const { chapter } = this.deps.controller.find(chapterId, upTo);
    if (this.#runs.has(chapter.id)) throw new RequestError('already-running', 'This chapter is already catching up.');
    const abort = new AbortController();
    this.#runs.set(chapter.id, abort);
    try {
      this.#tell(chapter.id, { state: 'running' });
      const status = await this.status(chapter.id);
      const missing = this.deps.content.needs(chapter.id).filter((_, i) => !status[i]!.ok);
      const own = upTo === undefined ? [] : chapter.steps.slice(0, chapter.steps.findIndex((s) => s.id === upTo) + 1);
      const plan = [...missing, ...own.map((step) => ({ chapter, step }))];
      for (const [i, { chapter: of, step }] of plan.entries()) {
        const at = { chapter: of.id, step: step.id };
        if (abort.signal.aborted) return this.#tell(chapter.id, { state: 'stopped', at });
        this.#tell(chapter.id, { state: 'running', at, position: i + 1, total: plan.length });
        const result = await this.#runStep(chapter.id, of, step, abort.signal);
        // Asked to stop while a command ran: however that command ended, the catch-up stopped.
        if (result === 'stopped' || abort.signal.aborted) return this.#tell(chapter.id, { state: 'stopped', at });
        if (!result.ok) return this.#tell(chapter.id, { state: 'failed', at, result });
      }
      return this.#tell(chapter.id, { state: 'passed', total: plan.length });
    } finally {
      this.#runs.delete(chapter.id);
    }
  }

  /** Stops a catch-up of the chapter after the command that runs now. */
  stop(chapterId: string): void {
    this.#runs.get(chapterId)?.abort();
  }

  /** One step's commands in `shell`, each after the previous one ended well, then its check. */
  async #runStep(shell: string, of: ChapterInfo, step: Step, signal: AbortSignal): Promise<CheckResult | 'stopped'> {
    const { controller } = this.deps;
    let failed: FailedCommand | undefined;
    for (let i = 0; i < step.run.length && !failed; i++) {
      if (signal.aborted) return 'stopped';
      const command = step.run[i]!;
      // What the command prints, for the check's explanation when it fails (not found, Ctrl-C).
      let output = '';
      const printed = this.deps.sessions.get(shell)?.onOutput((text) => {
        output = (output + text).slice(-16 * 1024);
      });
      try {
        const exitCode = await controller.run(of.id, step.id, i, { autoCheck: false, deadlineMs: commandDeadlineMs(step), shell });
        if (exitCode !== 0) failed = { command, exitCode, output };
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        return { ok: false, message: err.message, evidence: [] };
      } finally {
        printed?.dispose();
      }
    }
    return controller.check(of.id, step.id, failed);
  }

  #tell<S extends Outcome | 'running'>(
    chapter: string,
    m: Omit<Extract<ServerMessage, { type: 'catch-up' }>, 'type' | 'chapter'> & { state: S },
  ): S {
    this.deps.broadcast({ type: 'catch-up', chapter, ...m });
    return m.state;
  }
}
