import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckResult } from '../../protocol/result.ts';
import { runCheck } from '../checks/engine.ts';
import { CONTENT_DIR, defaultStateDir, defaultWorkspace } from '../paths.ts';
import { loadEndpoints, stackVariables } from '../stack/endpoints.ts';
import { ContentError, type LoadedChapter, loadChapters, resolveRef } from '../tutorial/content.ts';
import { recordedAttempt } from '../tutorial/progress.ts';
import { learnerEnv } from '../workspace.ts';
import { type Out, parseOrExplain, runIfMain, toStderr, toStdout } from './support.ts';

/**
 * `npm run check -- [<chapter>[/<step>]] [--marker M] [--json] [--workspace DIR] [--state DIR] [--content DIR] [--verbose]`
 *
 * Runs the checks of every step (or of one chapter, or one step) with the same engine the page
 * uses, without running the steps' commands. A step whose check looks for its attempt's marker
 * (the records a script sent) is checked with the marker of its latest attempt recorded for that
 * workspace in the state folder's progress.json; `--marker M`, or TUTORIAL_MARKER as the
 * tutorial's shells set it, overrides it. Prints one line per step; exit status 0 when every
 * check passed, 1 when one failed, 2 for a usage error.
 */

const USAGE =
  'Usage: npm run check -- [<chapter>[/<step>]] [--marker M] [--json] [--workspace DIR] [--state DIR] [--content DIR] [--verbose]';

/** One step's outcome, as `--json` prints it. */
export interface StepOutcome {
  chapter: string;
  step: string;
  result: CheckResult;
}

/** Runs the CLI with these arguments; returns the exit status. */
export async function main(argv: string[], out: Out = toStdout, err: Out = toStderr): Promise<number> {
  const args = parseOrExplain(() => parse(argv), USAGE, err);
  if (!args) return 2;
  if (args.values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const contentDir = resolve(args.values.content ?? CONTENT_DIR);
  let chapters: LoadedChapter[];
  try {
    chapters = loadChapters(contentDir).filter((c) => c.steps.length > 0);
  } catch (e) {
    if (e instanceof ContentError) {
      err(`${e.message}\n`);
      return 2;
    }
    throw e;
  }

  let selected: { chapter: LoadedChapter; steps: LoadedChapter['steps'] }[];
  const ref = args.positionals[0];
  if (args.positionals.length > 1) {
    err(`Give at most one chapter or chapter/step.\n${USAGE}\n`);
    return 2;
  }
  if (ref === undefined) selected = chapters.map((c) => ({ chapter: c, steps: c.steps }));
  else {
    const found = resolveRef(chapters, ref.replace(/\/+$/, ''));
    if (!found) {
      const ids = chapters.flatMap((c) => [c.id, ...c.steps.map((s) => `${c.id}/${s.id}`)]);
      err(`There is no chapter or step "${ref}". Valid ids: ${ids.join(', ') || '(no chapter has steps)'}.\n`);
      return 2;
    }
    selected = [{ chapter: found.chapter, steps: found.step ? [found.step] : found.chapter.steps }];
  }

  const workspace = resolve(args.values.workspace ?? defaultWorkspace());
  // The workspace's compose/.env says where the services are, as it does for the server.
  const endpoints = loadEndpoints({ workspace });
  // The same environment as the server's checks: the learner's virtualenv first, once it exists.
  const env = { ...learnerEnv(workspace), ...stackVariables(endpoints) };
  const outcomes: StepOutcome[] = [];
  const stateDir = resolve(args.values.state ?? defaultStateDir());
  const given = args.values.marker ?? (process.env.TUTORIAL_MARKER || undefined);
  for (const { chapter, steps } of selected) {
    for (const step of steps) {
      const attempt = given ? { marker: given } : recordedAttempt(stateDir, workspace, chapter.id, step.id);
      const result =
        !attempt && JSON.stringify(step.check).includes('{{marker}}')
          ? noAttempt(chapter.id, step.id, workspace)
          : await runCheck(step.check, { workspace, endpoints, env, marker: attempt?.marker, attemptStartedAt: attempt?.startedAt });
      outcomes.push({ chapter: chapter.id, step: step.id, result });
      if (!args.values.json) {
        out(`${result.ok ? '✓' : '✗'} ${chapter.id}/${step.id} — ${result.message}\n`);
        if (args.values.verbose && !result.ok) {
          if (result.hint) out(`    hint: ${result.hint}\n`);
          for (const e of result.evidence) out(`    ${e.label}:\n${e.text.replace(/^/gm, '      ')}\n`);
        }
      }
    }
  }
  if (args.values.json) out(`${JSON.stringify(outcomes, null, 2)}\n`);
  return outcomes.every((o) => o.result.ok) ? 0 : 1;
}

/** The result for a step whose check needs an attempt's marker when none is recorded or given. */
function noAttempt(chapter: string, step: string, workspace: string): CheckResult {
  return {
    ok: false,
    message: `No attempt of ${chapter}/${step} is recorded for the workspace ${workspace}: its check looks for what the step's latest run sent, by that run's marker, and the step has not been run there from the tutorial.`,
    hint: `Run the step from the tutorial's page first, or give the marker its script printed: \`npm run check -- ${chapter}/${step} --marker ds-...\`.`,
    evidence: [],
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      workspace: { type: 'string' },
      state: { type: 'string' },
      marker: { type: 'string' },
      content: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

runIfMain(import.meta.url, main);
