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

/**
 * How long pyenv's rehash waits for its lock in the tutorial's shells, unless the learner set
 * PYENV_REHASH_TIMEOUT: pyenv's own default is 60 s, and a lock that a shell killed mid-rehash
 * leaves behind after this shell started (which removeStalePyenvLock cannot see coming) would hold
 * the prompt for that long. `pyenv init -` runs `pyenv rehash` with its errors hidden, so a rehash
 * that gives up costs nothing but shims that are refreshed at the next one.
 */
export const PYENV_REHASH_WAIT_S = '5';

/** The shell's variables with pyenv's rehash wait bounded (the learner's own setting wins). */
export function boundPyenvRehashWait(env: NodeJS.ProcessEnv): void {
  if (env.PYENV_REHASH_TIMEOUT === undefined) env.PYENV_REHASH_TIMEOUT = PYENV_REHASH_WAIT_S;
}

/** True when a pyenv-rehash runs (`ps` on Linux and macOS alike), or when ps cannot tell. */
function rehashRuns(): boolean {
  const ps = spawnSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8', timeout: 5000 });
  if (ps.status !== 0) return true;
  return /pyenv-rehash/.test(ps.stdout);
}
