import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../server/cli/tutorial.ts';
import { hasWheelhouse, offlinePython, testEnv } from '../../helpers/env.ts';

/**
 * `npm run tutorial -- verify data-versioning` in an empty workspace: the chapter's needs come
 * first (Python and git are there; "Create the Python environment" runs, a real `python3 -m venv`
 * and `pip install -r requirements.txt`, from the wheelhouse instead of the network), then every
 * step of the chapter, with the real dvc and git, in the chapter's one shell.
 */

const state = mkdtempSync(join(tmpdir(), 'verify-dvc-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('verify data-versioning in an empty workspace', () => {
  it.skipIf(!hasWheelhouse() && !process.env.CI)(
    `runs what the chapter needs first and passes (needs the wheelhouse at ${testEnv.wheelhouse})`,
    async () => {
      const saved = Object.fromEntries(Object.keys(offlinePython).map((k) => [k, process.env[k]]));
      Object.assign(process.env, offlinePython);
      let out = '';
      let code: number;
      try {
        code = await main(
          ['verify', 'data-versioning', '--state', state, '--json'],
          (s) => {
            out += s;
          },
          () => {},
        );
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      const report = JSON.parse(out) as {
        ok: boolean;
        workspace: string;
        steps: { chapter: string; step: string; need?: boolean; outcome: string; before?: { ok: boolean } }[];
      };
      const failed = report.steps.find((s) => s.outcome !== 'passed');
      expect(failed, JSON.stringify(failed, null, 2)).toBeUndefined();
      expect(code).toBe(0);
      expect(report.workspace).toBe(join(state, 'workspace'));
      expect(report.steps.map((s) => `${s.need ? 'need ' : ''}${s.chapter}/${s.step}`)).toEqual([
        'need before-you-start/python-and-git',
        'need before-you-start/python-venv',
        'data-versioning/init-repos',
        'data-versioning/make-version-1',
        'data-versioning/track-version-1',
        'data-versioning/add-remote',
        'data-versioning/push-version-1',
        'data-versioning/version-2',
        'data-versioning/back-to-version-1',
        'data-versioning/pull-from-remote',
      ]);
      // The workspace was empty: the virtualenv was missing, and made.
      expect(report.steps[1]?.before?.ok).toBe(false);
    },
    900_000,
  );
});
