import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROGRESS_FILE, ProgressFileSchema, workspaceKey } from '../../../server/tutorial/progress.ts';
import { attackKit } from '../../helpers/attack-kit.ts';
import { exited, startCli } from '../../helpers/cli.ts';
import { pollUntil } from '../../helpers/net.ts';

/**
 * The learner's data against damage and accidents on the same machine: a progress file damaged
 * while the server runs, a server killed with SIGKILL mid-write, a full disk at start and for a
 * new terminal. Nothing may be lost without a word, and every message names the folder and what
 * to do.
 */

const FIXTURES = join(import.meta.dirname, 'fixtures', 'attacks');
const isRoot = process.getuid?.() === 0;

const { cleanup, scratch, server, client } = attackKit('attacks-data', FIXTURES);

/** A tmpfs of 64 KB mounted on a new folder, then filled: a full disk. */
function fullDisk(): string {
  const dir = scratch();
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
  cleanup.push(() => void execFileSync('umount', ['-l', dir]));
  return dir;
}

function fill(dir: string): void {
  try {
    writeFileSync(join(dir, 'filler'), Buffer.alloc(256 * 1024));
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
}

const passed = { state: 'passed' as const, at: '2026-01-01T00:00:00.000Z', result: { ok: true, message: 'ok', evidence: [] } };

describe('a progress file damaged while the server runs', () => {
  it("keeps the other workspaces' progress, sets the damaged file aside, and says so on the page and in the log", async () => {
    const state = scratch();
    const other = join(state, 'other-workspace');
    mkdirSync(other);
    // Another workspace's progress, in the file before the server starts.
    writeFileSync(
      join(state, PROGRESS_FILE),
      JSON.stringify({
        version: 2,
        workspaces: { [workspaceKey(other)]: { chapters: { dvc: { 'init-repos': { ...passed, contentHash: 'h' } } } } },
      }),
    );
    const log: string[] = [];
    const s = await server({ stateDir: state, workspace: join(state, 'ws'), log: (l) => log.push(l) });
    const page = await client(s);
    await s.controller.check('attacked', 'quick');
    // Damaged under the running server (a disk error, an editor, a sync tool): torn JSON.
    const damaged = '{"version": 2, "workspaces": {"/x": {"chapters": ';
    writeFileSync(join(state, PROGRESS_FILE), damaged);
    const from = page.messages.length;
    await s.controller.check('attacked', 'slow-check');

    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(state, PROGRESS_FILE), 'utf8')));
    expect(file.workspaces[workspaceKey(other)]?.chapters.dvc?.['init-repos']?.state).toBe('passed');
    const mine = file.workspaces[workspaceKey(join(state, 'ws'))]?.chapters.attacked ?? {};
    expect(Object.keys(mine).sort()).toEqual(['quick', 'slow-check']);
    const aside = readdirSync(state).filter((f) => f.startsWith(`${PROGRESS_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(state, aside[0] as string), 'utf8')).toBe(damaged);
    const said = await page.waitFor((m) => m.type === 'error' && m.code === 'progress-set-aside', 'the notice', from);
    expect(said).toEqual({
      type: 'error',
      code: 'progress-set-aside',
      message: expect.stringMatching(
        new RegExp(
          `^Your progress file ${join(state, PROGRESS_FILE)} was set aside as ${join(state, aside[0] as string)} because it is not valid JSON \\(.+\\) \\(it was changed while the server ran\\); the progress this server had of every workspace is written anew\\.$`,
        ),
      ),
    });
    expect(log).toContain((said as { message: string }).message);
  });
});

describe('a server killed with SIGKILL', () => {
  it('leaves no temp file behind once the next server has started', async () => {
    const state = scratch();
    const first = startCli(['--port', '0', '--state', state]);
    await pollUntil(
      () => /ready at/.test(first.out()),
      () => `the URL line in: ${first.out()}${first.err()}`,
      120_000,
    );
    // SIGKILL between a write's temp file and its rename leaves `.progress.json.<random>.tmp`
    // (server/private-fs.ts writeFileAtomic); these stand for the ones a kill in mid-write leaves.
    if (first.child.pid) process.kill(first.child.pid, 'SIGKILL');
    await exited(first.child);
    const leftovers = ['.progress.json.0123456789abcdef.tmp', '.progress.json.fedcba9876543210.tmp'];
    for (const f of leftovers) writeFileSync(join(state, f), '{"version": 2, "workspa');
    const second = startCli(['--port', '0', '--state', state]);
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await exited(second.child);
    });
    await pollUntil(
      () => /ready at/.test(second.out()),
      () => `the URL line in: ${second.out()}${second.err()}`,
      120_000,
    );
    expect(readdirSync(state).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a full disk', () => {
  it.skipIf(!isRoot)('at start, names the folder, the space left and `df -h`, not a bare ENOSPC', async () => {
    const state = fullDisk();
    fill(state);
    const cli = startCli(['--port', '0', '--state', state, '--workspace', join(scratch(), 'ws')]);
    expect(await exited(cli.child)).toBe(1);
    expect(cli.err().trim()).toMatch(
      new RegExp(
        `^The disk that holds ${state} is full: \\d+(\\.\\d)? (bytes|KB) free for you, so the tutorial server could not start \\(it writes its lock, progress and shell files there\\)\\. Free some space there \\(\`df -h ${state}\` shows the disk and what is left\\), then try again\\.$`,
      ),
    );
    expect(cli.err()).not.toContain('ENOSPC');
  });

  it.skipIf(!isRoot)('for a new terminal, tells the page the folder, the space left and `df -h`, not "internal"', async () => {
    const state = fullDisk();
    const s = await server({ stateDir: state, workspace: join(scratch(), 'ws') });
    fill(state);
    const page = await client(s);
    page.send({ type: 'attach', chapter: 'attacked', cols: 80, rows: 24 });
    const said = await page.waitFor((m) => m.type === 'error', 'the error');
    const shells = join(state, 'shells');
    expect(said).toEqual({
      type: 'error',
      code: 'disk-full',
      message: expect.stringMatching(
        new RegExp(
          `^The disk that holds ${shells} is full: \\d+(\\.\\d)? (bytes|KB) free for you, so a new terminal could not be started \\(its shell needs a few small files there\\)\\. Free some space there \\(\`df -h ${shells}\` shows the disk and what is left\\), then try again\\.$`,
        ),
      ),
    });
    // Nothing half-made is left in the shells folder, and with space again a terminal starts.
    expect(readdirSync(shells)).toEqual([]);
    rmSync(join(state, 'filler'));
    expect((await page.attach('attacked')).type).toBe('attached');
    expect(existsSync(shells)).toBe(true);
  });
});
