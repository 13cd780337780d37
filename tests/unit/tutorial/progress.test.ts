import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROGRESS_FILE, ProgressFileSchema, ProgressStore } from '../../../server/tutorial/progress.ts';

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'progress-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const passed = { state: 'passed' as const, result: { ok: true, message: 'Fine.', evidence: [] } };

/** Polls until `f` is true (no fixed sleeps). */
async function until(f: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ProgressStore', () => {
  it('starts empty without a file and keeps what it stored across opens, versioned', async () => {
    const dir = stateDir();
    const a = ProgressStore.open(dir);
    expect(a.snapshot()).toEqual({});
    await a.set('stack', 'compose-up', { ...passed, at: '2026-03-02T10:00:00.000Z' }, 'hash-1');
    const file = JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8'));
    expect(file).toEqual({
      version: 1,
      chapters: { stack: { 'compose-up': { ...passed, at: '2026-03-02T10:00:00.000Z', contentHash: 'hash-1' } } },
    });
    const b = ProgressStore.open(dir);
    expect(b.snapshot({ stack: { 'compose-up': 'hash-1' } })).toEqual({
      stack: { 'compose-up': { ...passed, at: '2026-03-02T10:00:00.000Z' } },
    });
  });

  it('reports a step whose content changed since it passed as stale', async () => {
    const store = ProgressStore.open(stateDir());
    await store.set('stack', 'compose-up', passed, 'hash-1');
    expect(store.snapshot({ stack: { 'compose-up': 'hash-2' } }).stack?.['compose-up']?.state).toBe('stale');
    expect(store.snapshot({ stack: { 'compose-up': 'hash-1' } }).stack?.['compose-up']?.state).toBe('passed');
  });

  it('forgets a chapter on reset', async () => {
    const store = ProgressStore.open(stateDir());
    await store.set('a', 's', passed, 'h');
    await store.set('b', 's', passed, 'h');
    await store.resetChapter('a');
    expect(Object.keys(store.snapshot())).toEqual(['b']);
  });

  it('serialises concurrent writes: every change lands and the file is whole', async () => {
    const dir = stateDir();
    const store = ProgressStore.open(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set('many', `step-${i}`, passed, `h${i}`)));
    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8')));
    expect(Object.keys(file.chapters.many ?? {})).toHaveLength(50);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('sets a corrupt file aside with a warning and starts fresh', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, PROGRESS_FILE), '{"version": 1, "chapters": {"a": ');
    const warnings: string[] = [];
    const store = ProgressStore.open(dir, (m) => warnings.push(m));
    expect(store.snapshot()).toEqual({});
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${PROGRESS_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe('{"version": 1, "chapters": {"a": ');
    expect(warnings[0]).toMatch(/was set aside as .*progress\.json\.corrupt-.* because it is not valid JSON/);
    await store.set('a', 's', passed, 'h');
    expect(existsSync(join(dir, PROGRESS_FILE))).toBe(true);
  });

  it('sets aside a file of another format version instead of misreading it', () => {
    const dir = stateDir();
    writeFileSync(join(dir, PROGRESS_FILE), JSON.stringify({ version: 2, steps: [] }));
    const warnings: string[] = [];
    ProgressStore.open(dir, (m) => warnings.push(m));
    expect(warnings[0]).toMatch(/its format version is 2, not 1/);
  });

  it('never leaves a torn file when the writing process is killed mid-write', async () => {
    const dir = stateDir();
    const script = join(dir, 'writer.mts');
    const storeUrl = new URL('../../../server/tutorial/progress.ts', import.meta.url).href;
    // Writes large records in a loop, so a kill lands inside a write sooner or later.
    writeFileSync(
      script,
      `import { ProgressStore } from ${JSON.stringify(storeUrl)};
const store = ProgressStore.open(process.argv[2]);
const big = 'x'.repeat(200_000);
for (let i = 0; ; i++) {
  await store.set('crash', 'step-' + (i % 20), { state: 'failed', result: { ok: false, message: big, evidence: [] } }, String(i));
  if (i === 5) process.stdout.write('writing\\n');
}
`,
    );
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
        cwd: join(import.meta.dirname, '..', '..', '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let started = false;
      child.stdout.on('data', () => {
        started = true;
      });
      await until(() => started, 'the writer to start writing');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const text = readFileSync(join(dir, PROGRESS_FILE), 'utf8');
      expect(() => ProgressFileSchema.parse(JSON.parse(text))).not.toThrow();
      const warnings: string[] = [];
      ProgressStore.open(dir, (m) => warnings.push(m));
      expect(warnings).toEqual([]);
    }
  });

  it('stays whole when two processes write at once (the last writer wins)', async () => {
    const dir = stateDir();
    const a = ProgressStore.open(dir);
    const b = ProgressStore.open(dir);
    await Promise.all([a.set('x', 'from-a', passed, 'h'), b.set('x', 'from-b', passed, 'h')]);
    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8')));
    expect(Object.keys(file.chapters.x ?? {})).toHaveLength(1);
  });

  it('a link planted at a temp path is not followed: the file it points to stays untouched', async () => {
    const dir = stateDir();
    const victim = join(stateDir(), 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    // The names the store used to write through ("progress.json.<pid>.<n>.tmp", opened with 'w'),
    // each a link to the victim. Now the temp name is random, and made with O_EXCL | O_NOFOLLOW.
    for (let n = 1; n <= 1000; n++) symlinkSync(victim, join(dir, `${PROGRESS_FILE}.${process.pid}.${n}.tmp`));
    const store = ProgressStore.open(dir);
    for (let i = 0; i < 5; i++) await store.set('a', `s${i}`, passed, 'h');
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(Object.keys(ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8'))).chapters.a ?? {})).toHaveLength(
      5,
    );
  });

  it('a link in place of progress.json is neither read nor written through: it is set aside', async () => {
    const dir = stateDir();
    const victim = join(stateDir(), 'victim.json');
    writeFileSync(victim, JSON.stringify({ version: 1, chapters: { planted: {} } }));
    symlinkSync(victim, join(dir, PROGRESS_FILE));
    const warnings: string[] = [];
    const store = ProgressStore.open(dir, (m) => warnings.push(m));
    expect(store.snapshot()).toEqual({});
    expect(warnings[0]).toMatch(/because it is a symbolic link, which the tutorial does not follow/);
    await store.set('a', 's', passed, 'h');
    expect(lstatSync(join(dir, PROGRESS_FILE)).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(victim, 'utf8'))).toEqual({ version: 1, chapters: { planted: {} } });
  });
});
