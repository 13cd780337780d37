import { loadChapters } from './content.ts';
import type { ChapterInfo, ContentIndex } from './step-controller.ts';

/** The chapters that have steps, in sidebar order, by id (the chapter file's base name). */
export function loadContentIndex(contentDir: string): ContentIndex {
  const chapters: ChapterInfo[] = loadChapters(contentDir)
    .filter((c) => c.steps.length > 0)
    .map((c) => ({ id: c.id, title: c.title, steps: c.steps, hashes: c.hashes }));
  const byId = new Map(chapters.map((c) => [c.id, c]));
  return { chapters, chapter: (id) => byId.get(id) };
}
