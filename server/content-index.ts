import { basename } from 'node:path';
import { loadChapters } from './content.ts';
import type { ChapterInfo, ContentIndex } from './step-controller.ts';

/** The id a chapter has in the page, the progress store and the command line: its file's base name. */
export function chapterId(path: string): string {
  return basename(path).replace(/\.mdx?$/, '');
}

/**
 * The chapters that have steps, in sidebar order, by the short id the pages use
 * (`content/docs/chapters/start-the-stack.mdx` → `start-the-stack`).
 */
export function loadContentIndex(contentDir: string): ContentIndex {
  const chapters: ChapterInfo[] = loadChapters(contentDir)
    .filter((c) => c.steps.length > 0)
    .map((c) => ({ id: chapterId(c.id), title: c.title, steps: c.steps, hashes: c.hashes }));
  const seen = new Set<string>();
  for (const c of chapters) {
    if (seen.has(c.id)) throw new TypeError(`Two chapters are named "${c.id}"; chapter file names must be unique.`);
    seen.add(c.id);
  }
  const byId = new Map(chapters.map((c) => [c.id, c]));
  return { chapters, chapter: (id) => byId.get(id) };
}
