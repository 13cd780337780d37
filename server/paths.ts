import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FolderRole } from './private-fs.ts';

/**
 * The repository's root folder: the nearest folder above this file whose package.json is the
 * tutorial's. This file runs from server/ (tests, development) and from inside the built programs
 * in build/server/ (server/bundle.mjs), so every file read at run time (chapters, the site, the
 * shells' rc files under server/terminal/shells/) is found from here, never from the running
 * file's own place.
 */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'datascience-stack-tutorial')
        return dir;
    } catch {
      // No package.json here (or not JSON): look one folder up.
    }
    if (dirname(dir) === dir) return resolve(from, '..');
  }
}

/** Where the built site is. */
export const DIST_DIR = join(REPO_ROOT, 'dist');

/**
 * The shells' integration rc files (server/terminal/shells/: bash.sh, ...), read at run time. A path
 * from the repository's root, so that it holds also once the server is bundled into one file.
 */
export const SHELLS_DIR = join(REPO_ROOT, 'server', 'terminal', 'shells');

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

/** A word as a shell reads it: quoted when it holds anything but plain path characters. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that starts the tutorial server again as it runs now: its port (or Unix socket) and
 * workspace always, its state folder, address and base path when they are not the defaults. The
 * page shows it while the server is away.
 */
export function startCommand(o: {
  host: string;
  port: number;
  socket?: string | undefined;
  base?: string | undefined;
  workspace: string;
  stateDir: string;
}): string {
  const args = o.socket ? ['--socket', shellWord(resolve(o.socket))] : ['--port', String(o.port)];
  args.push('--workspace', shellWord(resolve(o.workspace)));
  if (resolve(o.stateDir) !== defaultStateDir()) args.push('--state', shellWord(resolve(o.stateDir)));
  if (!o.socket && o.host !== '127.0.0.1') {
    args.push('--host', shellWord(o.host));
    // Another address than this machine's own needs the acknowledgement, or the command is refused.
    if (!/^(127\.|localhost$|::1$|\[::1\]$)/.test(o.host)) args.push('--i-know-this-is-public');
  }
  if (o.base && o.base !== '/') args.push('--base', shellWord(o.base));
  return `npm start -- ${args.join(' ')}`;
}
