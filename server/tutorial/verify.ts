import type { Step } from '../../protocol/content.ts';
import type { CheckResult } from '../../protocol/result.ts';
import type { EndpointsSource } from '../stack/endpoints.ts';
import type { ShellName } from '../terminal/shell-choice.ts';
import type { ChapterInfo, ContentIndex, Need } from './content.ts';
import { TutorialRuntime } from './runtime.ts';
import { commandDeadlineMs, RequestError } from './step-controller.ts';

/** What happened to one step in a verify run. */
export interface StepReport {
  chapter: string;
  step: string;
  title: string;
  /** True for a step of an earlier chapter that the verified chapter needs (run first, only when missing). */
  need?: boolean;
  outcome: 'passed' | 'failed' | 'not-run';
  /** Where it failed: its check already held before the step, a command, or the check after. */
  failedAt?: 'check-before' | 'command' | 'check-after';
  seconds: number;
  /** The check before the commands (expected to fail unless the step may already hold). */
  before?: CheckResult;
  commands: { command: string; exitCode?: number; seconds: number; error?: string }[];
  /** The check after the commands (must pass). */
  after?: CheckResult;
  /** A full sentence saying why the step failed. */
  message?: string;
  /** The last lines the shell printed, when the step failed. */
  output?: string;
}

export interface VerifyOptions {
  content: ContentIndex;
  /**
   * Which steps, chapter by chapter, in order. A chapter's `needs` (steps of earlier chapters,
   * ContentIndex.needs) come first, in its shell: each is run only when its check fails, as the
   * page's catch-up does, and must pass after.
   */
  selection: { chapter: ChapterInfo; steps: Step[]; needs?: Need[] }[];
  workspace: string;
  stateDir: string;
  endpoints: EndpointsSource;
  /** Deadline factor on each step's duration (default 2). */
  slack?: number;
  /** How long the check after the commands is retried while it fails (services flush, index, settle). */
  settleSeconds?: number;
  /** Called as each step starts and ends (for live output). */
  onStep?: (event: { phase: 'start' | 'end'; chapter: string; step: string; report?: StepReport }) => void;
  /** The shells' program (default: the learner's own when it is zsh, else bash). */
  shell?: ShellName;
  /** Every character the shells print, when the caller wants to show it. */
  onOutput?: (text: string) => void;
}

const tail = (text: string, lines: number) => text.split(/\r?\n/).slice(-lines).join('\n');
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\r/g, '');

/**
 * Walks the selected steps in order, as a learner would: for each, its check must fail first
 * (unless the step says its state may already hold), its commands are typed into the chapter's
 * shell with the same session machinery the page uses (each with a deadline from the step's
 * duration), and its check must then pass. Stops at the first failure.
 */
export async function verify(o: VerifyOptions): Promise<{ ok: boolean; steps: StepReport[] }> {
  const runtime = new TutorialRuntime({
    content: o.content,
    workspace: o.workspace,
    stateDir: o.stateDir,
    endpoints: o.endpoints,
    shells: { maxSessions: 4, idleGraceMs: 60 * 60_000, replayLimit: 64 * 1024, ...(o.shell ? { shell: o.shell } : {}) },
    log: () => {},
  });
  const { sessions } = runtime;
  const reports: StepReport[] = [];
  let failed = false;
  try {
    for (const { chapter, steps, needs = [] } of o.selection) {
      const session = sessions.open(chapter.id, 120, 40);
      let output = '';
      const sub = session.onOutput((text) => {
        output = tail(output + text, 200);
        o.onOutput?.(text);
      });
      const walk = [...needs.map((n) => ({ ...n, need: true })), ...steps.map((step) => ({ chapter, step, need: false }))];
      for (const { chapter: of, step, need } of walk) {
        if (failed) {
          reports.push({
            chapter: of.id,
            step: step.id,
            title: step.title,
            ...(need ? { need } : {}),
            outcome: 'not-run',
            seconds: 0,
            commands: [],
          });
          continue;
        }
        o.onStep?.({ phase: 'start', chapter: of.id, step: step.id });
        output = '';
        const report = await verifyStep(runtime, of, step, o, () => output, need ? chapter.id : undefined);
        reports.push(report);
        o.onStep?.({ phase: 'end', chapter: of.id, step: step.id, report });
        if (report.outcome === 'failed') failed = true;
      }
      sub.dispose();
      // Each chapter has its own shell, as in the page; one chapter's shell is done when it is.
      await sessions.end(chapter.id);
    }
  } finally {
    await runtime.close();
  }
  return { ok: !failed, steps: reports };
}

/**
 * One step, as a learner walks it. With `needFor` (the chapter that needs it), the step belongs to
 * an earlier chapter: a check that holds already is enough, and its commands run in `needFor`'s
 * shell.
 */
async function verifyStep(
  runtime: TutorialRuntime,
  chapter: ChapterInfo,
  step: Step,
  o: VerifyOptions,
  output: () => string,
  needFor?: string,
): Promise<StepReport> {
  const { controller, sessions } = runtime;
  const shell = needFor ?? chapter.id;
  const started = performance.now();
  const report: StepReport = {
    chapter: chapter.id,
    step: step.id,
    title: step.title,
    ...(needFor ? { need: true } : {}),
    outcome: 'passed',
    seconds: 0,
    commands: [],
  };
  const finish = (r: StepReport) => ({ ...r, seconds: Math.round((performance.now() - started) / 100) / 10 });
  const fail = (failedAt: StepReport['failedAt'], message: string) =>
    finish({ ...report, outcome: 'failed', failedAt, message, output: tail(plain(output()), 30) });

  report.before = await runtime.runCheck(step);
  if (report.before.ok && needFor) return finish(report);
  if (report.before.ok && !step.mayAlreadyHold) {
    return fail(
      'check-before',
      'The check already passes before the step has run, so it cannot prove the step. Make the check more specific (look for the very record, run or file the step makes, e.g. with {{marker}}), or set mayAlreadyHold: true if the step is meant to be idempotent.',
    );
  }
  // Make sure the chapter's shell exists (a previous timeout may have replaced it).
  sessions.open(shell, 120, 40);
  for (let i = 0; i < step.run.length; i++) {
    const command = step.run[i]!;
    const t = performance.now();
    try {
      const exitCode = await controller.run(chapter.id, step.id, i, {
        autoCheck: false,
        deadlineMs: commandDeadlineMs(step, o.slack),
        shell,
      });
      report.commands.push({ command, exitCode, seconds: Math.round((performance.now() - t) / 100) / 10 });
      if (exitCode !== 0) {
        const after = await controller.check(chapter.id, step.id, { command, exitCode, output: output() });
        report.after = after;
        return fail('command', `\`${command}\` ended with exit status ${exitCode}.`);
      }
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      report.commands.push({ command, seconds: Math.round((performance.now() - t) / 100) / 10, error: err.message });
      return fail('command', err.message);
    }
  }
  const settleUntil = performance.now() + (o.settleSeconds ?? 20) * 1000;
  for (;;) {
    report.after = await controller.check(chapter.id, step.id);
    if (report.after.ok || performance.now() > settleUntil) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!report.after.ok) return fail('check-after', `The check still fails after the step's commands ran: ${report.after.message}`);
  return finish(report);
}

/** JUnit XML (one testsuite per chapter, one testcase per step), as CI tools read it. */
export function toJunit(steps: StepReport[]): string {
  const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
  const chapters = [...new Set(steps.map((s) => s.chapter))];
  const suites = chapters.map((c) => {
    const cases = steps.filter((s) => s.chapter === c);
    const failures = cases.filter((s) => s.outcome === 'failed').length;
    const skipped = cases.filter((s) => s.outcome === 'not-run').length;
    const time = cases.reduce((a, s) => a + s.seconds, 0);
    const body = cases
      .map((s) => {
        const open = `    <testcase classname="${esc(c)}" name="${esc(s.step)}" time="${s.seconds}">`;
        if (s.outcome === 'passed') return `${open}</testcase>`;
        if (s.outcome === 'not-run') return `${open}<skipped message="not run: an earlier step failed"/></testcase>`;
        const detail = [s.message, s.after?.hint, ...(s.after?.evidence ?? []).map((e) => `${e.label}:\n${e.text}`), s.output]
          .filter(Boolean)
          .join('\n\n');
        return `${open}\n      <failure message="${esc(s.message ?? 'failed')}" type="${s.failedAt}">${esc(detail)}</failure>\n    </testcase>`;
      })
      .join('\n');
    return `  <testsuite name="${esc(c)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${time.toFixed(1)}">\n${body}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tutorial verify">\n${suites.join('\n')}\n</testsuites>\n`;
}
