import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Step } from '../../protocol/content.ts';
import type { Check } from '../../protocol/probes/index.ts';
import { CONTENT_DIR, defaultStateDir, defaultWorkspace } from '../paths.ts';
import { watchEndpoints } from '../stack/endpoints.ts';
import { chooseShell, ShellChoiceError, type ShellName } from '../terminal/shell-choice.ts';
import { describeShell } from '../terminal/shell-integration.ts';
import { type ChapterInfo, ContentError, type ContentIndex, loadContentIndex, type Need } from '../tutorial/content.ts';
import { type StepReport, toJunit, verify } from '../tutorial/verify.ts';
import { type Out, parseOrExplain, runIfMain, toStderr, toStdout } from './support.ts';

const USAGE = `Usage:
  npm run tutorial -- list [--json]
  npm run tutorial -- verify [<chapter>[/<step>] ...] [--workspace DIR] [--state DIR] [--shell bash|zsh] [--json] [--junit FILE] [--verbose]

verify walks the steps in order like a learner: each step's check must fail, its commands run in a
real shell (each with a deadline from the step's duration), then its check must pass. It stops at
the first failure and prints the check's message, hint and evidence. For one chapter (or a step of
it), what the chapter needs from earlier chapters comes first, in its shell: each needed step whose
check fails is run, as the page's catch-up does. Exit status 0 only when every step passed; 1 when
one failed; 2 for a usage error. Several chapters are verified in the order given. The shells are
bash, or zsh where $SHELL is zsh (--shell chooses), with your own ~/.bashrc or ~/.zshrc.`;

/** The probe kinds a check uses, in order of first use. */
export function checkKinds(check: Check): string[] {
  if ('kind' in check) return [check.kind];
  const parts = 'all' in check ? check.all : check.any;
  return [...new Set(parts.flatMap(checkKinds))];
}

/** Runs the CLI with these arguments; returns the exit status. */
export async function main(argv: string[], out: Out = toStdout, err: Out = toStderr): Promise<number> {
  const parsed = parseOrExplain(() => parse(argv), USAGE, err);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? out : err)(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let content: ContentIndex;
  try {
    content = loadContentIndex(resolve(values.content ?? CONTENT_DIR));
  } catch (e) {
    if (e instanceof ContentError || e instanceof TypeError) {
      err(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const [command, ...refs] = positionals;
  if (command === 'list') return list(content, Boolean(values.json), out);
  if (command !== 'verify') {
    err(`Unknown command "${command}". Use list or verify.\n${USAGE}\n`);
    return 2;
  }

  const selection: Exclude<ReturnType<typeof select>, string> = [];
  for (const ref of refs.length > 0 ? refs : [undefined]) {
    const chosen = select(content, ref);
    if (typeof chosen === 'string') {
      err(`${chosen}\n`);
      return 2;
    }
    selection.push(...chosen);
  }
  let shell: ShellName;
  try {
    shell = chooseShell(values.shell);
  } catch (e) {
    if (!(e instanceof ShellChoiceError)) throw e;
    err(`${e.message}\n`);
    return 2;
  }
  const stateDir = resolve(values.state ?? defaultStateDir());
  const workspace = resolve(values.workspace ?? defaultWorkspace({ ...process.env, TUTORIAL_STATE_DIR: stateDir }));
  const json = Boolean(values.json);
  const live = json ? () => {} : err;
  const result = await verify({
    content,
    selection,
    workspace,
    stateDir,
    shell,
    endpoints: watchEndpoints({ workspace, log: (line) => err(`${line}\n`) }),
    ...(values.verbose ? { onOutput: (t: string) => err(t) } : {}),
    onStep: (e) => {
      if (e.phase === 'start') live(`… ${e.chapter}/${e.step}\n`);
    },
  });
  if (values.junit) writeFileSync(values.junit, toJunit(result.steps));
  // Which shell and rc the steps ran in: an rc of the learner's is the first suspect when a step fails.
  const ranIn = result.ok ? undefined : describeShell(shell);
  if (json) out(`${JSON.stringify({ ok: result.ok, workspace, steps: result.steps, ...(ranIn ? { shell: ranIn } : {}) }, null, 2)}\n`);
  else out(`${table(result.steps)}${ranIn ? `The steps ran in ${ranIn}.\n` : ''}`);
  return result.ok ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      junit: { type: 'string' },
      workspace: { type: 'string' },
      state: { type: 'string' },
      content: { type: 'string' },
      shell: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function select(content: ContentIndex, ref: string | undefined): { chapter: ChapterInfo; steps: Step[]; needs?: Need[] }[] | string {
  // The whole tutorial in order does every need on the way.
  if (ref === undefined) return content.chapters.map((c) => ({ chapter: c, steps: c.steps }));
  const [chapterId, stepId, ...more] = ref.replace(/\/+$/, '').split('/');
  const chapter = content.chapter(chapterId ?? '');
  if (!chapter || more.length > 0) return `There is no chapter "${ref}". Chapters: ${content.chapters.map((c) => c.id).join(', ')}.`;
  const needs = content.needs(chapter.id);
  if (stepId === undefined) return [{ chapter, steps: chapter.steps, needs }];
  const at = chapter.steps.findIndex((s) => s.id === stepId);
  if (at < 0) return `The chapter "${chapter.id}" has no step "${stepId}". Its steps: ${chapter.steps.map((s) => s.id).join(', ')}.`;
  // A step builds on the ones before it in its chapter: verify them too, in order.
  return [{ chapter, steps: chapter.steps.slice(0, at + 1), needs }];
}

function list(content: ContentIndex, json: boolean, out: Out): number {
  const chapters = content.chapters.map((c) => ({
    id: c.id,
    title: c.title,
    steps: c.steps.map((s) => ({
      id: s.id,
      title: s.title,
      duration: s.duration,
      commands: s.run.length,
      checks: checkKinds(s.check),
      mayAlreadyHold: s.mayAlreadyHold,
    })),
  }));
  if (json) {
    out(`${JSON.stringify(chapters, null, 2)}\n`);
    return 0;
  }
  for (const c of chapters) {
    out(`${c.id} — ${c.title}\n`);
    for (const s of c.steps) out(`  ${s.id.padEnd(28)} ${s.duration.padStart(6)}  ${s.checks.join(', ')}\n`);
  }
  return 0;
}

function table(steps: StepReport[]): string {
  const mark = { passed: '✓', failed: '✗', 'not-run': '·' } as const;
  const rows = steps.map((s) => {
    const before = s.before ? (s.before.ok ? 'held' : 'failed') : '-';
    const after = s.after ? (s.after.ok ? 'passed' : 'failed') : '-';
    const name = `${s.chapter}/${s.step}${s.need ? ' (needed)' : ''}`;
    return `${mark[s.outcome]} ${name.padEnd(46)} ${before.padEnd(7)} ${String(s.commands.length).padStart(3)}  ${after.padEnd(7)} ${`${s.seconds.toFixed(1)}s`.padStart(7)}`;
  });
  let text = `  ${'step'.padEnd(46)} ${'before'.padEnd(7)} cmd  ${'after'.padEnd(7)} ${'time'.padStart(7)}\n${rows.join('\n')}\n`;
  const bad = steps.find((s) => s.outcome === 'failed');
  if (bad) {
    text += `\n✗ ${bad.chapter}/${bad.step} (${bad.title}) failed at ${bad.failedAt}.\n  ${bad.message}\n`;
    const r = bad.failedAt === 'check-before' ? bad.before : bad.after;
    if (r && bad.failedAt !== 'check-before') text += `  Check: ${r.message}\n`;
    if (r?.diagnosis) text += `  Cause: ${r.diagnosis.cause}\n  Fix: ${r.diagnosis.fix}\n`;
    if (r?.hint) text += `  Hint: ${r.hint}\n`;
    for (const e of r?.evidence ?? []) text += `  --- ${e.label}\n${e.text.replace(/^/gm, '    ')}\n`;
    if (bad.output) text += `  --- Last lines of the shell\n${bad.output.replace(/^/gm, '    ')}\n`;
  }
  const n = (o: StepReport['outcome']) => steps.filter((s) => s.outcome === o).length;
  text += `\nverify: ${n('passed')} passed, ${n('failed')} failed, ${n('not-run')} skipped\n`;
  return text;
}

runIfMain(import.meta.url, main);
