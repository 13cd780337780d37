import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseShell } from '../../../server/terminal/shell-choice.ts';

describe('chooseShell', () => {
  // A PATH of the test's own: one folder with a "zsh" and a "bash" that are executable files.
  const bin = mkdtempSync(join(tmpdir(), 'shell-choice-'));
  for (const name of ['bash', 'zsh']) {
    writeFileSync(join(bin, name), '#!/bin/sh\n');
    chmodSync(join(bin, name), 0o755);
  }
  const empty = mkdtempSync(join(tmpdir(), 'shell-choice-empty-'));
  afterAll(() => {
    rmSync(bin, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it("takes the learner's zsh when $SHELL is zsh (a Mac's default), and bash otherwise", () => {
    expect(chooseShell(undefined, { PATH: bin, SHELL: '/bin/zsh' })).toBe('zsh');
    expect(chooseShell(undefined, { PATH: bin, SHELL: '/usr/local/bin/zsh' })).toBe('zsh');
    expect(chooseShell(undefined, { PATH: bin, SHELL: '/bin/bash' })).toBe('bash');
    expect(chooseShell(undefined, { PATH: bin, SHELL: '/usr/bin/fish' })).toBe('bash');
    expect(chooseShell(undefined, { PATH: bin })).toBe('bash');
  });

  it('falls back to bash when $SHELL names a zsh that PATH does not have', () => {
    expect(chooseShell(undefined, { PATH: empty, SHELL: '/bin/zsh' })).toBe('bash');
  });

  it('takes --shell over $SHELL, and refuses a shell it does not know or that is not installed, saying what to do', () => {
    expect(chooseShell('bash', { PATH: bin, SHELL: '/bin/zsh' })).toBe('bash');
    expect(chooseShell('zsh', { PATH: bin, SHELL: '/bin/bash' })).toBe('zsh');
    expect(() => chooseShell('fish', { PATH: bin })).toThrow('"fish" is not a shell the tutorial knows. Pass --shell bash or --shell zsh.');
    expect(() => chooseShell('zsh', { PATH: empty })).toThrow(
      "--shell zsh asks for zsh, which is not installed (it is in none of PATH's folders). Install it (on Debian and Ubuntu: sudo apt-get install zsh), or leave out --shell.",
    );
  });
});
