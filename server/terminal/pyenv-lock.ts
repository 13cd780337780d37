import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A lock younger than this may belong to a rehash that is just starting: left alone. */
const YOUNG_MS = 2000;

/**
 * pyenv's rehash lock, `$PYENV_ROOT/shims/.pyenv-shim`: `pyenv rehash` (which `pyenv init -` runs
 * at every shell's start) creates it and removes it when it ends, but a shell killed while it
 * rehashes leaves it behind, and every later `pyenv init -` then waits 60 s for it
 * (PYENV_REHASH_TIMEOUT) before the prompt. The lock is stale when no pyenv-rehash runs on this
 * machine and it is not brand new; then it is removed. Returns the line to show in the terminal
 * when it was, or undefined.
 */
export function removeStalePyenvLock(env: NodeJS.ProcessEnv, o: { now?: number; rehashRuns?: () => boolean } = {}): string | undefined {
  const now = o.now ?? Date.now();
  // PYENV_ROOT as the server has it, and the default the rc may set it to (pyenv's README does).
  const roots = new Set([env.PYENV_ROOT, join(env.HOME || homedir(), '.pyenv')].filter((r): r is string => Boolean(r)));
  const said: string[] = [];
  for (const root of roots) {
    const lock = join(root, 'shims', '.pyenv-shim');
    let mtime: number;
    try {
      mtime = statSync(lock).mtimeMs;
    } catch {
      continue;
    }
    if (now - mtime < YOUNG_MS || (o.rehashRuns ?? rehashRuns)()) continue;
    try {
      rmSync(lock, { force: true });
    } catch {
      continue;
    }
    said.push(
      `Removed pyenv's rehash lock ${lock}: a shell killed while pyenv rehashed had left it, and pyenv would have waited 60 seconds for it.`,
    );
  }
  return said.length > 0 ? said.join(' ') : undefined;
}

/** True when a pyenv-rehash runs (`ps` on Linux and macOS alike), or when ps cannot tell. */
function rehashRuns(): boolean {
  const ps = spawnSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8', timeout: 5000 });
  if (ps.status !== 0) return true;
  return /pyenv-rehash/.test(ps.stdout);
}
