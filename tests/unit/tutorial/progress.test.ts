import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROGRESS_FILE, ProgressFileSchema, ProgressStore, workspaceKey } from '../../../server/tutorial/progress.ts';

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
      version: 2,
      workspaces: {
        [join(realpathSync(dir), 'workspace')]: {
          chapters: { stack: { 'compose-up': { ...passed, at: '2026-03-02T10:00:00.000Z', contentHash: 'hash-1' } } },
        },
      },
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
    expect(Object.keys(Object.values(file.workspaces)[0]?.chapters.many ?? {})).toHaveLength(50);
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
    writeFileSync(join(dir, PROGRESS_FILE), JSON.stringify({ version: 3, steps: [] }));
    const warnings: string[] = [];
    ProgressStore.open(dir, (m) => warnings.push(m));
    expect(warnings[0]).toMatch(/its format version is 3, not 2/);
  });

  // Up to 60 s: three tsx processes start here, which alone can take more than the default 5 s on a
  // loaded 2-core machine (it did at a load average of 17).
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
  }, 60_000);

  it('stays whole when two processes write at once (the last writer wins)', async () => {
    const dir = stateDir();
    const a = ProgressStore.open(dir);
    const b = ProgressStore.open(dir);
    await Promise.all([a.set('x', 'from-a', passed, 'h'), b.set('x', 'from-b', passed, 'h')]);
    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8')));
    expect(Object.keys(Object.values(file.workspaces)[0]?.chapters.x ?? {})).toHaveLength(1);
  });
});

describe('ProgressStore, per workspace', () => {
  it('keeps the progress of each workspace apart in one state folder', async () => {
    const dir = stateDir();
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    for (const w of [first, second]) mkdirSync(w);
    const a = ProgressStore.open(dir, undefined, first);
    await a.set('dvc', 'init-repos', passed, 'h');
    // An empty workspace shows none of it.
    expect(ProgressStore.open(dir, undefined, second).snapshot()).toEqual({});
    const b = ProgressStore.open(dir, undefined, second);
    await b.set('stack', 'compose-up', passed, 'h');
    // Each write keeps the other workspace's progress, even from another store on the same file.
    expect(Object.keys(ProgressStore.open(dir, undefined, first).snapshot())).toEqual(['dvc']);
    expect(Object.keys(ProgressStore.open(dir, undefined, second).snapshot())).toEqual(['stack']);
    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8')));
    expect(Object.keys(file.workspaces).sort()).toEqual([realpathSync(first), realpathSync(second)]);
  });

  it('names a workspace by its real path: a symlink, a relative path or a trailing slash is the same folder', async () => {
    const dir = stateDir();
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'link'));
    await ProgressStore.open(dir, undefined, join(dir, 'link')).set('a', 's', passed, 'h');
    expect(Object.keys(ProgressStore.open(dir, undefined, `${real}/`).snapshot())).toEqual(['a']);
    expect(workspaceKey(join(dir, 'link'))).toBe(realpathSync(real));
    expect(workspaceKey(join(dir, 'not-made-yet'))).toBe(join(dir, 'not-made-yet'));
  });

  it('reads a file of version 1 as the progress of the default workspace, and writes version 2', async () => {
    const dir = stateDir();
    const old = { stack: { 'compose-up': { ...passed, at: '2026-03-02T10:00:00.000Z', contentHash: 'h' } } };
    writeFileSync(join(dir, PROGRESS_FILE), JSON.stringify({ version: 1, chapters: old }));
    const warnings: string[] = [];
    const other = join(dir, 'elsewhere');
    mkdirSync(other);
    // Another workspace starts empty: the old progress was made in the default one.
    expect(ProgressStore.open(dir, (m) => warnings.push(m), other).snapshot()).toEqual({});
    const fallback = ProgressStore.open(dir, (m) => warnings.push(m));
    expect(fallback.workspace).toBe(join(realpathSync(dir), 'workspace'));
    expect(fallback.snapshot()).toEqual({ stack: { 'compose-up': { ...passed, at: '2026-03-02T10:00:00.000Z' } } });
    expect(warnings).toEqual([]);
    await fallback.set('stack', 'read-logs', passed, 'h');
    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8')));
    expect(file.version).toBe(2);
    expect(Object.keys(file.workspaces[fallback.workspace]?.chapters.stack ?? {})).toEqual(['compose-up', 'read-logs']);
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
    const file = ProgressFileSchema.parse(JSON.parse(readFileSync(join(dir, PROGRESS_FILE), 'utf8')));
    const [only] = Object.values(file.workspaces);
    expect(Object.keys(only?.chapters.a ?? {})).toHaveLength(5);
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
