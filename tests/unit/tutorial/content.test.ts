import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentError, loadChapters, loadContentIndex, resolveRef, stepHash } from '../../../server/tutorial/content.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');

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
});

describe('resolveRef', () => {
  const chapters = loadChapters(join(fixtures, 'content'));
  it('finds a chapter in a subfolder by its file name, and a step of it', () => {
    expect(resolveRef(chapters, 'second')?.step).toBeUndefined();
    expect(resolveRef(chapters, 'second/has-file')?.step?.id).toBe('has-file');
    expect(resolveRef(chapters, 'second/nope')).toBeUndefined();
  });
});
