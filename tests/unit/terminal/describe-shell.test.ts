import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShell } from '../../../server/terminal/shell-integration.ts';

describe('describeShell (what verify names when a step fails)', () => {
  it("names bash's version and path, the learner's rc, and the DEBUG-trap way when it is forced", () => {
    const home = mkdtempSync(join(tmpdir(), 'describe-shell-'));
    try {
      expect(describeShell('bash', { ...process.env, HOME: home })).toMatch(
        new RegExp(`^bash \\d+\\.\\d+\\.\\d+\\S* \\(/\\S+/bash\\) without ${home}/\\.bashrc \\(there is none\\)$`),
      );
      writeFileSync(join(home, '.bashrc'), '');
      expect(describeShell('bash', { ...process.env, HOME: home, __TUT_FORCE_NO_PS0: '1' })).toMatch(
        new RegExp(`with ${home}/\\.bashrc, reporting through its DEBUG trap \\(__TUT_FORCE_NO_PS0\\)$`),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("names zsh's version and path and the learner's ~/.zshrc (or $ZDOTDIR/.zshrc)", () => {
    const home = mkdtempSync(join(tmpdir(), 'describe-shell-'));
    try {
      expect(describeShell('zsh', { ...process.env, HOME: home, ZDOTDIR: '' })).toMatch(
        new RegExp(`^zsh \\d+\\.\\d+\\S* \\(/\\S+/zsh\\) without ${home}/\\.zshrc \\(there is none\\)$`),
      );
      const zdotdir = join(home, 'zdot');
      mkdirSync(zdotdir);
      writeFileSync(join(zdotdir, '.zshrc'), '');
      expect(describeShell('zsh', { ...process.env, HOME: home, ZDOTDIR: zdotdir })).toMatch(new RegExp(`with ${zdotdir}/\\.zshrc$`));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
