import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PS_ARGS, PsSessionTracker, parsePs } from '../../../server/terminal/ps-session.ts';

/** Recorded the way macOS's ps prints (tests/fixtures/ps-macos/README.md says how they were made). */
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'ps-macos');
const rows = (name: string) => parsePs(readFileSync(join(FIXTURES, name), 'utf8'));
const SERVER = 4101;
const SHELL = 4210;

describe('PsSessionTracker (a shell session without /proc, as on macOS)', () => {
  it('asks ps for columns that macOS prints as numbers and device names, never the session address', () => {
    expect(PS_ARGS.join(' ')).toBe('-A -o pid= -o ppid= -o pgid= -o tdev= -o stat=');
    expect(rows('shell-running.txt').find((r) => r.pid === SHELL)).toEqual({
      pid: SHELL,
      ppid: SERVER,
      pgid: SHELL,
      tdev: '16/3',
      stat: 'Ss',
    });
    expect(rows('shell-running.txt').find((r) => r.pid === 4260)?.tdev).toBeUndefined();
  });

  it("finds the running shell's jobs (background, nohup, the foreground pipeline, a worker, a setsid child), not the zombie, the server or other terminals", () => {
    const tracker = new PsSessionTracker(SHELL, SERVER);
    expect(tracker.members(rows('shell-running.txt')).sort()).toEqual([4210, 4233, 4240, 4251, 4252, 4253, 4260]);
  });

  it('keeps following them once the shell has ended: the nohup job, its workers (also a new one), not an unrelated orphan', () => {
    const tracker = new PsSessionTracker(SHELL, SERVER);
    tracker.members(rows('shell-running.txt'));
    expect(tracker.members(rows('shell-ended.txt')).sort()).toEqual([4240, 4253, 4260, 4270]);
  });

  it('finds nothing for a shell that had ended before the first look: nothing tells its session apart', () => {
    expect(new PsSessionTracker(SHELL, SERVER).members(rows('shell-ended.txt'))).toEqual([]);
  });

  it('never counts the server itself, even when ps shows it under the shell', () => {
    const tracker = new PsSessionTracker(SHELL, 4233);
    expect(tracker.members(rows('shell-running.txt'))).not.toContain(4233);
  });
});
