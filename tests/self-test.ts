/**
 * The self-test tier: the tutorial verifies its own chapters with the headless runner, on every
 * chapter (and every step) whose services can run on this machine. The MLflow chapter runs
 * against a native `mlflow server` on PostgreSQL at the stack's own address (127.0.0.1:5000).
 * It prints one line naming what it could not run here and why, and exits non-zero when a
 * verified step failed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '../protocol/content.ts';
import { runCheck } from '../server/checks/engine.ts';
import { checkKinds } from '../server/cli/tutorial.ts';
import { CONTENT_DIR } from '../server/paths.ts';
import { loadEndpoints } from '../server/stack/endpoints.ts';
import { type ChapterInfo, loadContentIndex } from '../server/tutorial/content.ts';
import { type StepReport, toJunit, verify } from '../server/tutorial/verify.ts';
import { startMlflowServer } from './helpers/mlflow-server.ts';

/** Check kinds that need a service of the compose stack that cannot run on this machine. */
const STACK_ONLY: Record<string, string> = {
  container: 'the compose stack (no Docker registry here to pull its images)',
  kibana: 'Kibana (it cannot run here)',
  fluentd: 'fluentd (it cannot run here)',
  elasticsearch: 'Elasticsearch from the compose stack',
};

function needsStack(step: Step): string | undefined {
  for (const kind of checkKinds(step.check)) if (STACK_ONLY[kind]) return STACK_ONLY[kind];
  // `docker compose version` only asks for the plugin; any other compose command needs the stack.
  if (step.run.some((c) => /docker[ -]compose (?!version)/.test(c))) return 'the compose stack (its commands run `docker compose`)';
  return undefined;
}

const endpoints = loadEndpoints();
const content = loadContentIndex(CONTENT_DIR);
const scratch = mkdtempSync(join(tmpdir(), 'tutorial-self-test-'));
const workspace = join(scratch, 'workspace');
const notHere: string[] = [];
const selection: { chapter: ChapterInfo; steps: Step[] }[] = [];

for (const chapter of content.chapters) {
  const steps: Step[] = [];
  for (const step of chapter.steps) {
    const stack = needsStack(step);
    if (stack) {
      notHere.push(`${chapter.id}/${step.id} (needs ${stack})`);
      continue;
    }
    // A machine check (preflight) that this machine fails is about the machine, not the step.
    if (checkKinds(step.check).includes('preflight')) {
      const r = await runCheck(step.check, { workspace: scratch, endpoints });
      if (!r.ok) {
        notHere.push(`${chapter.id}/${step.id} (this machine: ${r.message})`);
        continue;
      }
    }
    steps.push(step);
  }
  if (steps.length > 0) selection.push({ chapter, steps });
}

function printStep(e: { phase: 'start' | 'end'; report?: StepReport }): void {
  if (e.phase !== 'end' || !e.report) return;
  const r = e.report;
  console.log(`${r.outcome === 'passed' ? '✓' : '✗'} ${r.chapter}/${r.step} ${r.seconds}s${r.message ? ` — ${r.message}` : ''}`);
  if (r.outcome !== 'failed') return;
  const c = r.failedAt === 'check-before' ? r.before : r.after;
  if (c) console.log(`  check: ${c.message}${c.hint ? `\n  hint: ${c.hint}` : ''}`);
  for (const ev of c?.evidence ?? []) console.log(`  --- ${ev.label}\n${ev.text.replace(/^/gm, '    ')}`);
  if (r.output) console.log(`  --- shell\n${r.output.replace(/^/gm, '    ')}`);
}

console.log(`Self-test: verifying ${selection.map((s) => `${s.chapter.id} (${s.steps.length} steps)`).join(', ')}`);
const skippedChapters = content.chapters.filter((c) => !selection.some((s) => s.chapter.id === c.id)).map((c) => c.id);
console.log(
  `Not verified here: ${skippedChapters.length ? `chapters ${skippedChapters.join(', ')}; ` : ''}steps ${notHere.join('; ') || 'none'}.`,
);

// MLflow is the stack here: it starts only before the first chapter that uses it, so the steps
// before it see this machine as a learner's would before `docker compose up` (port 5000 free).
const usesMlflow = (c: ChapterInfo) => /"kind":"mlflow"|\{\{mlflow\}\}/.test(JSON.stringify(c.steps.map((s) => s.check)));
const firstMlflow = selection.findIndex((s) => usesMlflow(s.chapter));
const passes = firstMlflow < 0 ? [selection] : [selection.slice(0, firstMlflow), selection.slice(firstMlflow)];
let reports: StepReport[] = [];
let ok = true;
let mlflow: Awaited<ReturnType<typeof startMlflowServer>> | undefined;
try {
  for (const [i, part] of passes.entries()) {
    if (part.length === 0) continue;
    if (i === 1) mlflow = await startMlflowServer({ port: Number(new URL(endpoints.mlflow).port || 5000) });
    const result = await verify({ content, selection: part, workspace, stateDir: scratch, endpoints, onStep: printStep });
    reports = [...reports, ...result.steps];
    if (!result.ok) {
      ok = false;
      break;
    }
  }
} finally {
  await mlflow?.stop();
}
mkdirSync('test-results', { recursive: true });
writeFileSync(join('test-results', 'self-test-junit.xml'), toJunit(reports));
const n = (o: StepReport['outcome']) => reports.filter((r) => r.outcome === o).length;
// Steps of a pass that never started after a failure count as not run, too.
const unreported = selection.reduce((a, s) => a + s.steps.length, 0) - reports.length;
console.log(`self-test: ${n('passed')} passed, ${n('failed')} failed, ${n('not-run') + unreported} skipped`);
if (ok) rmSync(scratch, { recursive: true, force: true });
else console.log(`The workspace is kept for a look: ${workspace}`);
process.exit(ok ? 0 : 1);
