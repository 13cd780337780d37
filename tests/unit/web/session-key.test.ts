import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSessionKey, SESSION_KEY_FILE } from '../../../server/web/session-key.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'session-key-'));
  dirs.push(d);
  return d;
}

describe('loadSessionKey', () => {
  it('makes a 32-byte key, private to this user (0600), and no temp file stays', () => {
    const dir = stateDir();
    const key = loadSessionKey(dir);
    expect(key.length).toBe(32);
    expect(statSync(join(dir, SESSION_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([SESSION_KEY_FILE]);
  });

  it('reads the same key at the next start, so a signed-in browser stays signed in', () => {
    const dir = stateDir();
    expect(loadSessionKey(dir).equals(loadSessionKey(dir))).toBe(true);
    expect(loadSessionKey(stateDir()).equals(loadSessionKey(dir))).toBe(false);
  });

  it('refuses a key that others can read, with the command that fixes it', () => {
    const dir = stateDir();
    loadSessionKey(dir);
    const file = join(dir, SESSION_KEY_FILE);
    chmodSync(file, 0o644);
    expect(() => loadSessionKey(dir)).toThrow(
      `The session key ${file} can be read by other users (mode 644), who could use it to sign in. Make it private with: chmod 600 ${file}`,
    );
  });

  it('refuses a symbolic link at the key name instead of reading what it points to', () => {
    const dir = stateDir();
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, `${Buffer.alloc(32, 1).toString('base64url')}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, join(dir, SESSION_KEY_FILE));
    expect(() => loadSessionKey(dir)).toThrow(/is a symbolic link, so it cannot be trusted\. Remove it with: rm /);
  });

  it('refuses a folder, a damaged key, and (as root) a key of another user', () => {
    const a = stateDir();
    mkdirSync(join(a, SESSION_KEY_FILE));
    expect(() => loadSessionKey(a)).toThrow(/is not a regular file/);
    const b = stateDir();
    writeFileSync(join(b, SESSION_KEY_FILE), 'short\n', { mode: 0o600 });
    expect(() => loadSessionKey(b)).toThrow(/is damaged/);
    if (process.getuid?.() === 0) {
      const c = stateDir();
      loadSessionKey(c);
      chownSync(join(c, SESSION_KEY_FILE), 65534, 65534);
      expect(() => loadSessionKey(c)).toThrow(/belongs to another user \(uid 65534\)/);
    }
  });
});
