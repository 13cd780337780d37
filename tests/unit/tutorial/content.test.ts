import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentError, loadChapters, loadContentIndex, resolveRef, stepHash } from '../../../server/tutorial/content.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');
const CONTENT = join(import.meta.dirname, '..', '..', '..', 'content');

/** A content folder with these chapter files (name → frontmatter YAML), removed afterwards. */
function withContent<T>(files: Record<string, string>, f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'content-'));
  try {
    mkdirSync(join(dir, 'docs'));
    for (const [name, yaml] of Object.entries(files)) writeFileSync(join(dir, 'docs', name), `---\n${yaml}\n---\nBody.\n`);
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const STEP = (id: string) => `  - { id: ${id}, title: ${id}, duration: 5s, run: ['true'], check: { kind: file, path: ${id}.txt } }`;

describe('loadChapters', () => {
  const chapters = loadChapters(join(fixtures, 'content'));

  it('names chapters by their file name and orders them by sidebar.order, then name', () => {
    expect(chapters.map((c) => c.id)).toEqual(['first', 'second', 'index']);
    expect(chapters[0]).toMatchObject({ title: 'First chapter', order: 1 });
  });

  it('skips files whose name starts with an underscore', () => {
    expect(chapters.find((c) => c.id === '_draft')).toBeUndefined();
  });

  it('gives every step a content hash that changes with its content', () => {
    const step = chapters[0]!.steps[0]!;
    expect(chapters[0]!.hashes['shell-works']).toBe(stepHash(step));
    expect(stepHash({ ...step, title: 'Another title' })).not.toBe(stepHash(step));
    // Key order does not matter.
    const reordered = Object.fromEntries(Object.entries(step).reverse()) as typeof step;
    expect(stepHash(reordered)).toBe(stepHash(step));
    // Naming what a step installs does not make its stored passes stale.
    expect(stepHash({ ...step, installs: ['dvc'] })).toBe(stepHash(step));
  });

  it('fails with the file and the field for a need of a later chapter or of a step that does not exist', () => {
    const files = {
      'one.mdx': `title: One\nsidebar: { order: 1 }\nneeds: [two/b]\nsteps:\n${STEP('a')}`,
      'two.mdx': `title: Two\nsidebar: { order: 2 }\nneeds: [one/a, one/nope]\nsteps:\n${STEP('b')}`,
    };
    const error = withContent(files, (dir) => {
      try {
        loadChapters(dir);
      } catch (e) {
        return e;
      }
      return undefined;
    });
    expect(error).toBeInstanceOf(ContentError);
    expect((error as ContentError).file).toMatch(/one\.mdx$/);
    expect((error as ContentError).problems).toEqual([
      'needs.0: "two" comes after this chapter in the sidebar; a chapter can only need steps of earlier chapters.',
    ]);
  });

  it('fails with the file and the field for a misspelled probe kind', () => {
    let error: unknown;
    try {
      loadChapters(join(fixtures, 'bad-content'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContentError);
    expect((error as ContentError).file).toMatch(/typo\.mdx$/);
    expect((error as ContentError).problems[0]).toMatch(
      /^steps\.1\.check\.all\.1\.kind: "htp" is not a probe kind; use one of command, file, tcp, http/,
    );
  });
});

describe('loadContentIndex', () => {
  const index = loadContentIndex(join(fixtures, 'content'));
  it('keeps the chapters that have steps, in sidebar order, and finds them by id', () => {
    expect(index.chapters.map((c) => c.id)).toEqual(['first', 'second']);
    expect(index.chapter('second')?.title).toBe(loadChapters(join(fixtures, 'content'))[1]!.title);
    expect(index.chapter('index')).toBeUndefined();
  });

  it('lists what a chapter of the tutorial needs, with the needs of the chapters it needs', () => {
    const tutorial = loadContentIndex(CONTENT);
    const needs = (id: string) => tutorial.needs(id).map((n) => `${n.chapter.id}/${n.step.id}`);
    expect(needs('data-versioning')).toEqual(['before-you-start/python-and-git', 'before-you-start/python-venv']);
    expect(needs('tracking-experiments')).toEqual([
      'before-you-start/docker-engine',
      'before-you-start/compose-v2',
      'before-you-start/python-venv',
      'start-the-stack/compose-up',
      'mlflow-server/server-health',
    ]);
    expect(needs('before-you-start')).toEqual([]);
    expect(tutorial.needs('data-versioning')[1]?.step.installs).toContain('dvc');
  });
});

describe('resolveRef', () => {
  const chapters = loadChapters(join(fixtures, 'content'));
  it('finds a chapter in a subfolder by its file name, and a step of it', () => {
    expect(resolveRef(chapters, 'second')?.step).toBeUndefined();
    expect(resolveRef(chapters, 'second/has-file')?.step?.id).toBe('has-file');
    expect(resolveRef(chapters, 'second/nope')).toBeUndefined();
  });
});
