/**
 * The self-test tier: the tutorial verifies every chapter and every step with the headless
 * runner, as a learner would walk them, against the whole stack of compose/docker-compose.yml. The
 * chapters' own commands bring the stack up (`docker compose -f compose/docker-compose.yml up`
 * in "Start the stack") and take it down ("Finish"), from the learner's compose file, unchanged.
 * No registry is reachable here, so the images it pulls are stand-ins under the same names
 * (tests/services/stack-images.sh: Elasticsearch and adminer real, Kibana and fluentd fakes), and
 * the two images it builds are built first with tests/compose/override.yml, whose only change is
 * the MLflow build's network; the chapter's own build then comes from Docker's build cache. It
 * names the steps that ran against the Kibana and fluentd fakes, and exits non-zero when a step
 * failed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Step } from '../protocol/content.ts';
import { runCheck } from '../server/checks/engine.ts';
import { checkKinds } from '../server/cli/tutorial.ts';
import { CONTENT_DIR } from '../server/paths.ts';
import { loadEndpoints } from '../server/stack/endpoints.ts';
import { type ChapterInfo, loadContentIndex } from '../server/tutorial/content.ts';
import { type StepReport, toJunit, verify } from '../server/tutorial/verify.ts';
import { CLASSIC_BUILDER, imageKind, OVERRIDE_FILE, REAL_FILE, stackImages } from './compose/stack.ts';

const run = promisify(execFile);
// The chapters' shells inherit this: Compose builds with the classic builder on this machine (see CLASSIC_BUILDER).
Object.assign(process.env, CLASSIC_BUILDER);
/** The learner's compose project (`name:` in compose/docker-compose.yml). */
const PROJECT = 'dstack';

/** The fakes a step meets, from its check and its commands. */
function fakesMet(step: Step): string[] {
  const text = JSON.stringify([step.check, step.run]);
  const kinds = checkKinds(step.check);
  const met: string[] = [];
  if (kinds.includes('kibana') || /kibana|KIBANA_URL/i.test(text)) met.push('Kibana');
  if (kinds.includes('fluentd') || /fluentd|FLUENTD_/i.test(text)) met.push('fluentd');
  return met;
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

// The stack is the learner's project: it must not exist yet (the chapters create it), and every
// image its file pulls must be here (no registry), the two it builds built once with the override.
const { stdout: existing } = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
if (existing.trim()) {
  console.error(
    `self-test: the compose project ${PROJECT} already has containers on this Docker engine; the chapters start it themselves. Take it down first (docker compose -f compose/docker-compose.yml down --volumes), then run the self-test again.`,
  );
  process.exit(1);
}
for (const [what, image] of Object.entries(stackImages())) {
  const k = await imageKind(image);
  if (!k.present) {
    console.error(
      `self-test: the image ${image} (${what}) is missing and no registry is reachable here; run \`bash tests/services/stack-images.sh\`.`,
    );
    process.exit(1);
  }
  console.log(`Image ${image}: ${k.standIn ? `a stand-in, ${k.standIn}` : 'the real image'}.`);
}
const t0 = performance.now();
await run('docker', ['compose', '-p', `${PROJECT}-selftest-build`, '-f', REAL_FILE, '-f', OVERRIDE_FILE, 'build', 'fluentd', 'mlflow'], {
  timeout: 1_800_000,
  maxBuffer: 64 * 1024 * 1024,
});
console.log(
  `Built fluentd and mlflow with tests/compose/override.yml in ${((performance.now() - t0) / 1000).toFixed(0)} s; the chapter's build of the real file comes from Docker's build cache.`,
);

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
const onFakes = selection.flatMap(({ chapter, steps }) =>
  steps.flatMap((step) => {
    const met = fakesMet(step);
    return met.length ? [`${chapter.id}/${step.id} (${met.join(', ')})`] : [];
  }),
);
console.log(`Verified against the fakes of Kibana and fluentd (tests/fakes/; neither can run here): ${onFakes.join('; ') || 'none'}.`);

let reports: StepReport[] = [];
let ok = true;
try {
  const result = await verify({ content, selection, workspace, stateDir: scratch, endpoints, onStep: printStep });
  reports = result.steps;
  ok = result.ok;
} finally {
  // "Finish" takes the stack down but keeps its volumes, as a learner's would; the self-test
  // leaves nothing behind (also after a failure, once the workspace is kept for a look).
  await run('docker', ['compose', '-p', PROJECT, '-f', REAL_FILE, 'down', '--volumes', '--remove-orphans', '--timeout', '10'], {
    timeout: 180_000,
  }).catch((err: Error) => console.error(`self-test: taking the stack down failed: ${err.message}`));
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
