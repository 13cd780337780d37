import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { COMPOSE_DIR, WORKSPACE_FOLDER, WORKSPACE_TEMPLATE } from './paths.ts';
import { ensurePrivateFolder, lstatOrUndefined } from './private-fs.ts';

export interface PrepareOptions {
  /** The template folder (default: the repository's workspace/). */
  template?: string;
  /** The stack's Compose folder, copied as ./compose (default: the repository's compose/). */
  compose?: string;
  /** Hears what was left out, in a full sentence. */
  warn?: (message: string) => void;
}

/**
 * Makes the learner's workspace a private folder (server/private-fs.ts) and copies the template,
 * and the stack's compose/ folder as ./compose, into it. The copy never overwrites anything that
 * is there (it may be the learner's own edit) and never follows a symbolic link: a link in the
 * workspace (to a folder elsewhere, say) is left alone, so nothing is written outside the
 * workspace; a link in the template is copied as a link only when it points inside the workspace.
 */
export function prepareWorkspace(workspace: string, o: PrepareOptions = {}): void {
  ensurePrivateFolder(workspace, WORKSPACE_FOLDER);
  const warn = o.warn ?? (() => {});
  const template = o.template ?? WORKSPACE_TEMPLATE;
  const compose = o.compose ?? COMPOSE_DIR;
  if (existsSync(template)) copyMissing(template, workspace, workspace, warn);
  if (existsSync(compose) && makeFolder(join(workspace, 'compose'), compose, warn)) {
    copyMissing(compose, join(workspace, 'compose'), workspace, warn);
  }
}

/** Copies what `from` holds and `to` lacks, folder by folder. */
function copyMissing(from: string, to: string, root: string, warn: (m: string) => void): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) {
      if (makeFolder(dest, src, warn)) copyMissing(src, dest, root, warn);
    } else if (entry.isFile()) {
      try {
        // COPYFILE_EXCL opens the target with O_CREAT | O_EXCL: an existing file, or a link
        // (which it does not follow), makes it fail.
        copyFileSync(src, dest, constants.COPYFILE_EXCL);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    } else if (entry.isSymbolicLink()) {
      const target = readlinkSync(src);
      if (!inside(resolve(dirname(dest), target), root)) {
        warn(`The template's link ${src} points outside the workspace (to ${target}), so it was not copied.`);
        continue;
      }
      try {
        symlinkSync(target, dest);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
}

/**
 * Makes the folder `dest` (with the mode of `src`) when it is missing; true when there is a real
 * folder to copy into. A link or a file in its place is the learner's and is left alone.
 */
function makeFolder(dest: string, src: string, warn: (m: string) => void): boolean {
  let st = lstatOrUndefined(dest);
  if (!st) {
    try {
      mkdirSync(dest, { mode: lstatSync(src).mode & 0o777 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    st = lstatSync(dest);
  }
  if (st.isDirectory()) return true;
  warn(
    st.isSymbolicLink()
      ? `${dest} is a link in your workspace, so the tutorial's files were not copied through it.`
      : `${dest} is a file in your workspace where the tutorial has a folder, so that folder was not copied.`,
  );
  return false;
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
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
