import { cpSync, existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { offlinePython } from '../../helpers/env.ts';
import { FIXTURES, type ShellCase } from './cases.ts';

/** What shells.test.ts and zsh.test.ts share: a case's learner (HOME, variables) in this process. */

/** Our marks, functions or a broken rc, none of which may ever show in the learner's terminal. */
export const MACHINERY = /__tut_|syntax error|command not found|\x1b\][16]33;[CDE]/;

/** process.env for the case: HOME (a copy of the fixture), its variables, pip offline; undone after. */
export function caseEnv(c: ShellCase): { home: string; restore(): void } {
  const home = c.rc === 'machine' ? (process.env.HOME as string) : mkdtempSync(join(tmpdir(), '22-shells-home-'));
  if (c.rc !== 'machine') {
    cpSync(join(FIXTURES, c.rc), home, { recursive: true });
    // A lock left by a shell killed some time ago (git gives the fixture's file a fresh time).
    const lock = join(home, '.pyenv', 'shims', '.pyenv-shim');
    if (existsSync(lock)) utimesSync(lock, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
  }
  const vars = { ...(c.rc === 'machine' ? {} : { HOME: home }), ...offlinePython, ...c.env };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return {
    home,
    restore() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      if (c.rc !== 'machine') rmSync(home, { recursive: true, force: true });
    },
  };
}
