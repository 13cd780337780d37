import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { boundPyenvRehashWait, PYENV_REHASH_WAIT_S, removeStalePyenvLock } from '../../../server/terminal/pyenv-lock.ts';

const roots: string[] = [];
/** No pyenv-rehash runs (on this machine other tests' shells may run one at any time). */
const none = { rehashRuns: () => false };
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A PYENV_ROOT whose shims folder holds a lock `ageMs` old. */
function rootWithLock(ageMs: number): { root: string; lock: string } {
  const root = mkdtempSync(join(tmpdir(), 'pyenv-lock-'));
  roots.push(root);
  mkdirSync(join(root, 'shims'));
  const lock = join(root, 'shims', '.pyenv-shim');
  writeFileSync(lock, '');
  const t = new Date(Date.now() - ageMs);
  utimesSync(lock, t, t);
  return { root, lock };
}

describe("pyenv's rehash lock left by a killed shell", () => {
  it('is removed when it is old and no pyenv-rehash runs, and the line says what and why', () => {
    const { root, lock } = rootWithLock(3600_000);
    const said = removeStalePyenvLock({ PYENV_ROOT: root, HOME: root }, none);
    expect(existsSync(lock)).toBe(false);
    expect(said).toBe(
      `Removed pyenv's rehash lock ${lock}: a shell killed while pyenv rehashed had left it, and pyenv would have waited 60 seconds for it.`,
    );
  });

  it('is left alone while it is brand new (a rehash may be starting)', () => {
    const { root, lock } = rootWithLock(0);
    expect(removeStalePyenvLock({ PYENV_ROOT: root, HOME: root }, none)).toBeUndefined();
    expect(existsSync(lock)).toBe(true);
  });

  it('is left alone while a pyenv-rehash runs', () => {
    const { root, lock } = rootWithLock(3600_000);
    expect(removeStalePyenvLock({ PYENV_ROOT: root, HOME: root }, { rehashRuns: () => true })).toBeUndefined();
    expect(existsSync(lock)).toBe(true);
  });

  it('is looked for in ~/.pyenv without PYENV_ROOT, and nothing happens without one', () => {
    const home = mkdtempSync(join(tmpdir(), 'pyenv-home-'));
    roots.push(home);
    expect(removeStalePyenvLock({ HOME: home }, none)).toBeUndefined();
    mkdirSync(join(home, '.pyenv', 'shims'), { recursive: true });
    writeFileSync(join(home, '.pyenv', 'shims', '.pyenv-shim'), '');
    const t = new Date(Date.now() - 60_000);
    utimesSync(join(home, '.pyenv', 'shims', '.pyenv-shim'), t, t);
    expect(removeStalePyenvLock({ HOME: home }, none)).toMatch(/^Removed pyenv's rehash lock/);
  });
});

describe("pyenv's rehash wait in the tutorial's shells", () => {
  it('is bounded, so a lock left behind after the shell started does not hold its prompt for 60 s', () => {
    const env: NodeJS.ProcessEnv = { HOME: '/home/learner' };
    boundPyenvRehashWait(env);
    expect(env.PYENV_REHASH_TIMEOUT).toBe(PYENV_REHASH_WAIT_S);
    expect(Number(PYENV_REHASH_WAIT_S)).toBeLessThan(60);
  });

  it("keeps the learner's own PYENV_REHASH_TIMEOUT", () => {
    const env: NodeJS.ProcessEnv = { PYENV_REHASH_TIMEOUT: '90' };
    boundPyenvRehashWait(env);
    expect(env.PYENV_REHASH_TIMEOUT).toBe('90');
  });
});
