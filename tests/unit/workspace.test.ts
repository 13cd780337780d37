import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { learnerEnv } from '../../server/workspace.ts';

const workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe('learnerEnv', () => {
  const base = { PATH: '/usr/bin:/bin', HOME: '/home/learner' };

  it('leaves the environment as it is while the workspace has no virtualenv', () => {
    expect(learnerEnv(workspace, base)).toBe(base);
  });

  it("puts the workspace's virtualenv first on PATH and names it in VIRTUAL_ENV once it exists", () => {
    mkdirSync(join(workspace, '.venv', 'bin'), { recursive: true });
    expect(learnerEnv(workspace, base)).toEqual({
      PATH: `${join(workspace, '.venv', 'bin')}:/usr/bin:/bin`,
      HOME: '/home/learner',
      VIRTUAL_ENV: join(workspace, '.venv'),
    });
  });
});
