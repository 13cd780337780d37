import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FolderRole } from './private-fs.ts';

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
 * The learner's state folder (progress, the shells' integration files, the default workspace;
 * ignored by git), in the messages about it.
 */
export const STATE_FOLDER: FolderRole = { what: 'state folder', option: '--state DIR' };

/** The learner's workspace, in the messages about it. */
export const WORKSPACE_FOLDER: FolderRole = { what: 'workspace', option: '--workspace DIR' };

/** Where the state folder is: TUTORIAL_STATE_DIR, or .state in the repository. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUTORIAL_STATE_DIR ?? join(REPO_ROOT, '.state'));
}

/** The learner's workspace folder, where the chapters' commands run (TUTORIAL_WORKSPACE moves it). */
export function defaultWorkspace(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUTORIAL_WORKSPACE ?? join(defaultStateDir(env), 'workspace'));
}
