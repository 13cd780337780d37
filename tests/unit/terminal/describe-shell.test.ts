import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShell } from '../../../server/terminal/shell-integration.ts';

describe('describeShell (what verify names when a step fails)', () => {
  it("names bash's version and path, the learner's rc, and the DEBUG-trap way when it is forced", () => {
    const home = mkdtempSync(join(tmpdir(), 'describe-shell-'));
    try {
      expect(describeShell({ ...process.env, HOME: home })).toMatch(
        new RegExp(`^bash \\d+\\.\\d+\\.\\d+\\S* \\(/\\S+/bash\\) without ${home}/\\.bashrc \\(there is none\\)$`),
      );
      writeFileSync(join(home, '.bashrc'), '');
      expect(describeShell({ ...process.env, HOME: home, __TUT_FORCE_NO_PS0: '1' })).toMatch(
        new RegExp(`with ${home}/\\.bashrc, reporting through its DEBUG trap \\(__TUT_FORCE_NO_PS0\\)$`),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
