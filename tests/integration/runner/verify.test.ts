import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../server/cli/tutorial.ts';
import { runMain } from '../../helpers/cli.ts';
import { startTestServer } from '../../helpers/server.ts';

const CONTENT = join(import.meta.dirname, '..', '..', 'fixtures', 'runner', 'content');

let dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'verify-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const cli = (args: string[]) => runMain(main, args);

describe('npm run tutorial -- verify', () => {
  it('passes a step, accepts a step whose state already holds, stops at a failing step and says why', async () => {
    const state = scratch();
    const junit = join(state, 'junit.xml');
    const { code, out } = await cli(['verify', 'fixture', '--content', CONTENT, '--state', state, '--junit', junit]);
    expect(code).toBe(1);
    expect(out).toMatch(/✓ fixture\/write-marker\s+failed\s+1\s+passed/);
    expect(out).toMatch(/✓ fixture\/already-there\s+held\s+1\s+passed/);
    expect(out).toMatch(/✗ fixture\/never-works\s+failed\s+1\s+failed/);
    expect(out).toMatch(/· fixture\/after-the-failure/);
    expect(out).toContain('✗ fixture/never-works (A step whose check never passes) failed at check-after.');
    expect(out).toContain('The file does-not-exist.txt is missing.');
    expect(out).toMatch(/^verify: 2 passed, 1 failed, 1 skipped$/m);

    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="fixture" tests="4" failures="1" skipped="1"');
    expect(xml).toMatch(/<testcase classname="fixture" name="never-works" time="[\d.]+">\s*<failure message="The check still fails/);
    expect(xml).toMatch(/name="after-the-failure"[^>]*><skipped/);
    expect(xml).toMatch(/name="write-marker" time="[\d.]+"><\/testcase>/);
  });

  it('prints JSON with the marker the step wrote', async () => {
    const state = scratch();
    const { code, out } = await cli(['verify', 'fixture/write-marker', '--content', CONTENT, '--state', state, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as {
      ok: boolean;
      workspace: string;
      steps: { step: string; outcome: string; before: { ok: boolean } }[];
    };
    expect(report.ok).toBe(true);
    expect(report.steps).toHaveLength(1);
    expect(report.steps[0]).toMatchObject({ step: 'write-marker', outcome: 'passed', before: { ok: false } });
    expect(readFileSync(join(report.workspace, 'marker.txt'), 'utf8')).toMatch(/^ds-fixture-write-marker-[0-9a-f]+/);
  });

  it("runs what a chapter needs from an earlier chapter first, in the chapter's shell, and only when it is missing", async () => {
    const state = scratch();
    const first = await cli(['verify', 'tool-user', '--content', CONTENT, '--state', state]);
    expect(first.code).toBe(0);
    // The need's three commands ran, then the chapter's step found the tool on its PATH.
    expect(first.out).toMatch(/✓ tool-maker\/make-tool \(needed\)\s+failed\s+3\s+passed/);
    expect(first.out).toMatch(/✓ tool-user\/use-tool\s+failed\s+1\s+passed/);
    expect(first.out).toMatch(/^verify: 2 passed, 0 failed, 0 skipped$/m);
    // In the same workspace the need is in place: it is not run again.
    const again = await cli(['verify', 'tool-user', '--content', CONTENT, '--state', state, '--json']);
    const report = JSON.parse(again.out) as {
      ok: boolean;
      steps: { step: string; need?: boolean; before: { ok: boolean }; commands: unknown[] }[];
    };
    expect(report.steps[0]).toMatchObject({ step: 'make-tool', need: true, before: { ok: true }, commands: [] });
  });

  it('interrupts a command that hangs past its deadline', async () => {
    const state = scratch();
    const { code, out } = await cli(['verify', 'hangs', '--content', CONTENT, '--state', state]);
    expect(code).toBe(1);
    expect(out).toContain('`sleep 1000` did not finish within 12 seconds, so it was interrupted.');
    expect(out).toMatch(/· hangs\/still-usable/);
  });

  it('leaves the same shell usable after an interrupted command', async () => {
    const server = await startTestServer({ contentDir: CONTENT });
    try {
      const session = server.sessions.open('hangs');
      const pid = session.pid;
      await expect(server.controller.run('hangs', 'hang', 0, { autoCheck: false, deadlineMs: 1000 })).rejects.toThrow(
        /did not finish within 1 seconds/,
      );
      expect(await server.controller.run('hangs', 'still-usable', 0, { autoCheck: false })).toBe(0);
      expect(server.sessions.get('hangs')?.pid).toBe(pid);
      const marker = server.controller.marker('hangs', 'still-usable');
      expect(readFileSync(join(server.workspace, 'after-hang.txt'), 'utf8').trim()).toBe(marker);
    } finally {
      await server.dispose();
    }
  });

  it('names the valid chapters for an unknown one', async () => {
    const { code, err } = await cli(['verify', 'nope', '--content', CONTENT, '--state', scratch()]);
    expect(code).toBe(2);
    expect(err).toContain('There is no chapter "nope". Chapters: fixture, hangs, tool-maker, tool-user.');
  });

  it('lists chapters, steps and check kinds', async () => {
    const { code, out } = await cli(['list', '--json', '--content', CONTENT]);
    expect(code).toBe(0);
    const chapters = JSON.parse(out) as { id: string; steps: { id: string; checks: string[] }[] }[];
    expect(chapters.map((c) => c.id)).toEqual(['fixture', 'hangs', 'tool-maker', 'tool-user']);
    expect(chapters[0]!.steps.map((s) => [s.id, s.checks])).toEqual([
      ['write-marker', ['file']],
      ['already-there', ['command']],
      ['never-works', ['file']],
      ['after-the-failure', ['command']],
    ]);
  });
});
