import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the built site is. */
export const DIST_DIR = join(REPO_ROOT, 'dist');

/** Where the chapters are. */
export const CONTENT_DIR = join(REPO_ROOT, 'content');

/** The stack's Compose files; copied into the learner's workspace as ./compose. */
export const COMPOSE_DIR = join(REPO_ROOT, 'compose');

/** The template of the learner's workspace. */
export const WORKSPACE_TEMPLATE = join(REPO_ROOT, 'workspace');

/**
 * The learner's state folder: progress, shell integration files, the default workspace.
 * It is ignored by git; TUTORIAL_STATE_DIR moves it.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUTORIAL_STATE_DIR ?? join(REPO_ROOT, '.state'));
}

/** The learner's workspace folder, where the chapters' commands run (TUTORIAL_WORKSPACE moves it). */
export function defaultWorkspace(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUTORIAL_WORKSPACE ?? join(defaultStateDir(env), 'workspace'));
}
