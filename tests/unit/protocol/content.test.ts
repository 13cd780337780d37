import { describe, expect, it } from 'vitest';
import {
  chapterHead,
  chapterId,
  compareChapters,
  DurationSchema,
  durationSeconds,
  isChapterFile,
  parseDuration,
} from '../../../protocol/content.ts';

describe('durations', () => {
  it('reads minutes, seconds or both', () => {
    expect(parseDuration('1m30s')).toEqual({ minutes: 1, seconds: 30 });
    expect(durationSeconds('30s')).toBe(30);
    expect(durationSeconds('2m')).toBe(120);
  });

  it('refuses anything else, in the schema and in the parser', () => {
    for (const bad of ['', '90', '1h', '30s1m']) expect(DurationSchema.safeParse(bad).success, bad).toBe(false);
    expect(() => parseDuration('1h')).toThrow(RangeError);
  });
});

describe('the chapter model', () => {
  it('names a chapter by its file base name, from a path or a docs entry id', () => {
    expect(chapterId('/repo/content/docs/chapters/start-the-stack.mdx')).toBe('start-the-stack');
    expect(chapterId('chapters/start-the-stack')).toBe('start-the-stack');
    expect(chapterId('index.md')).toBe('index');
  });

  it('reads .md and .mdx files, not those whose name starts with an underscore', () => {
    expect(['a.md', 'b.mdx', '_draft.md', 'c.txt', 'd.mdx.bak'].filter(isChapterFile)).toEqual(['a.md', 'b.mdx']);
  });

  it('takes the title and sidebar.order from the frontmatter, the id as the title when there is none', () => {
    expect(chapterHead('a/first.mdx', { title: 'First', sidebar: { order: 1 } })).toEqual({ id: 'first', title: 'First', order: 1 });
    expect(chapterHead('a/second.mdx', { sidebar: { order: 'x' } })).toEqual({ id: 'second', title: 'second' });
    expect(chapterHead('third.md', null)).toEqual({ id: 'third', title: 'third' });
  });

  it('orders by sidebar.order, chapters without one last, then by id', () => {
    const heads = [{ id: 'zeta' }, { id: 'b', order: 2 }, { id: 'alpha' }, { id: 'a', order: 2 }, { id: 'c', order: 1 }];
    expect(heads.sort(compareChapters).map((c) => c.id)).toEqual(['c', 'a', 'b', 'alpha', 'zeta']);
  });
});
