import { accessSync, constants, cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSE_DIR, WORKSPACE_TEMPLATE } from './paths.ts';

/**
 * Copies the workspace template, and the stack's compose/ folder as ./compose, into the
 * learner's folder. Files that are already there are never overwritten: they may be the
 * learner's own edits.
 */
export function prepareWorkspace(workspace: string): void {
  mkdirSync(workspace, { recursive: true });
  if (existsSync(WORKSPACE_TEMPLATE)) cpSync(WORKSPACE_TEMPLATE, workspace, { recursive: true, force: false, errorOnExist: false });
  if (existsSync(COMPOSE_DIR)) cpSync(COMPOSE_DIR, join(workspace, 'compose'), { recursive: true, force: false, errorOnExist: false });
}

/** The learner's virtualenv: `.venv` in the workspace, made by a chapter. */
export function venvDir(workspace: string): string {
  return join(workspace, '.venv');
}

/**
 * The environment the checks run in (the server's, `npm run check`'s and `npm run tutorial --
 * verify`'s alike): once the workspace has its virtualenv, its bin/ comes first on PATH and
 * VIRTUAL_ENV names it, so a check finds the learner's python, mlflow and dvc; before that,
 * `base` unchanged. Asked again at every check, since a chapter makes the virtualenv on the way.
 * The shells follow the same rule in their rc file (server/terminal/shell-integration.ts).
 */
export function learnerEnv(workspace: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const venv = venvDir(workspace);
  const bin = join(venv, 'bin');
  return existsSync(bin) ? { ...base, PATH: `${bin}:${base.PATH ?? ''}`, VIRTUAL_ENV: venv } : base;
}

/** True when the workspace's virtualenv has the program (an executable in .venv/bin). */
export function inVirtualenv(workspace: string, program: string): boolean {
  if (program.includes('/')) return false;
  try {
    accessSync(join(venvDir(workspace), 'bin', program), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
