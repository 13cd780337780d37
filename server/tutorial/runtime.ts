import type { Step } from '../../protocol/content.ts';
import type { ServerMessage } from '../../protocol/messages.ts';
import type { CheckResult } from '../../protocol/result.ts';
import { explainFailedCommand, type FailedCommand } from '../checks/diagnosis.ts';
import { runCheck } from '../checks/engine.ts';
import { STATE_FOLDER } from '../paths.ts';
import { ensurePrivateFolder } from '../private-fs.ts';
import { type EndpointsSource, endpointsNow, stackVariables, withStackVariables } from '../stack/endpoints.ts';
import { StateLock } from '../state-lock.ts';
import { SessionManager } from '../terminal/session-manager.ts';
import { chooseShell, type ShellName } from '../terminal/shell-choice.ts';
import { learnerEnv, prepareWorkspace } from '../workspace.ts';
import type { ContentIndex } from './content.ts';
import { diagnosisContext, Needs } from './needs.ts';
import { ProgressStore, removeLeftoverTemps } from './progress.ts';
import { StepController } from './step-controller.ts';

export interface TutorialRuntimeOptions {
  content: ContentIndex;
  /** The learner's working folder; prepared from the template when the runtime opens. */
  workspace: string;
  /** Where progress and the shells' integration files are kept. */
  stateDir: string;
  /** Where the services are; a function is asked again at every check and every new shell. */
  endpoints: EndpointsSource;
  /** The chapters' shells: how many at once, how long one lives with no page, how much screen is kept for a page that comes back. */
  shells: { maxSessions: number; idleGraceMs: number; replayLimit: number; shell?: ShellName };
  /** Where a warning goes (a corrupt progress store that was set aside). */
  log: (line: string) => void;
}

/**
 * The tutorial at work, the same for the server (server/app.ts) and the headless runner
 * (server/tutorial/verify.ts): the prepared workspace, the progress store, the chapters' shells,
 * the step controller, and checks run in the learner's environment. What the controller
 * announces goes to whoever listens (the open pages); with no listener it goes nowhere.
 *
 * It starts only with a state folder and a workspace of the learner's own (server/private-fs.ts)
 * and holds the state folder's lock (server/state-lock.ts) until it closes: a second server or
 * `verify` on the same folder is refused with a message that names this one.
 */
export class TutorialRuntime {
  readonly content: ContentIndex;
  readonly sessions: SessionManager;
  readonly progress: ProgressStore;
  readonly controller: StepController;
  /** The state folder's lock; the server records its address in it once it listens. */
  readonly lock: StateLock;
  readonly needs: Needs;
  readonly #listeners = new Set<(message: ServerMessage) => void>();

  constructor(private readonly o: TutorialRuntimeOptions) {
    ensurePrivateFolder(o.stateDir, STATE_FOLDER);
    this.lock = StateLock.acquire(o.stateDir);
    try {
      prepareWorkspace(o.workspace, { warn: o.log });
      // What a server killed mid-write left (the lock is ours: no other writer is at work).
      removeLeftoverTemps(o.stateDir, o.log);
      // A progress file found damaged is set aside: said in the log, and on every open page.
      const warn = (message: string) => {
        o.log(message);
        this.announce({ type: 'error', code: 'progress-set-aside', message });
      };
      this.progress = ProgressStore.open(o.stateDir, warn, o.workspace);
      this.sessions = new SessionManager({
        stateDir: o.stateDir,
        workspace: o.workspace,
        env: withStackVariables(process.env, o.endpoints),
        ...o.shells,
        // The learner's own shell when it is zsh, else bash (server/terminal/shell-choice.ts).
        shell: o.shells.shell ?? chooseShell(undefined),
      });
    } catch (err) {
      this.lock.release();
      throw err;
    }
    const ended = this.sessions.leftoversEnded.length;
    if (ended > 0)
      o.log(
        `Ended ${ended} process${ended === 1 ? '' : 'es'} that an earlier tutorial server on this state folder left running when it was killed.`,
      );
    this.content = o.content;
    this.controller = new StepController({
      sessions: this.sessions,
      content: o.content,
      progress: this.progress,
      broadcast: (message) => this.announce(message),
      runCheck: (step, marker, startedAt, failed) => this.runCheck(step, marker, startedAt, failed),
    });
    this.needs = new Needs({
      content: o.content,
      controller: this.controller,
      sessions: this.sessions,
      runCheck: (step) => this.runCheck(step),
      broadcast: (message) => this.announce(message),
    });
  }

  /**
   * Runs a step's check in the learner's environment (server/workspace.ts), with the attempt's
   * marker and start when there is one; nothing is stored or announced (StepController.check
   * does that). After a command of the step `failed` in the terminal, the result says why
   * (server/checks/diagnosis.ts explainFailedCommand).
   */
  async runCheck(step: Step, marker?: string, attemptStartedAt?: number, failed?: FailedCommand): Promise<CheckResult> {
    const endpoints = endpointsNow(this.o.endpoints);
    const result = await runCheck(step.check, {
      workspace: this.o.workspace,
      endpoints,
      env: { ...learnerEnv(this.o.workspace), ...stackVariables(endpoints) },
      ...(marker ? { marker } : {}),
      ...(attemptStartedAt !== undefined ? { attemptStartedAt } : {}),
    });
    return failed ? explainFailedCommand(result, failed, diagnosisContext(this.o.content, this.o.workspace)) : result;
  }

  /** Tells every listener (every open page). */
  announce(message: ServerMessage): void {
    for (const listener of this.#listeners) listener(message);
  }

  /** Hears every announcement from now on, until disposed. */
  onAnnouncement(listener: (message: ServerMessage) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  /** Drops the checks still waiting, ends every shell with its process tree, writes out the progress and gives up the lock. */
  async close(): Promise<void> {
    this.controller.close();
    try {
      await this.sessions.closeAll();
      await this.progress.flush();
    } finally {
      this.lock.release();
    }
  }
}
