import type { ProgressSnapshot } from '../../protocol/messages.ts';
import { type ChapterSummary, passedCount } from './chapters.ts';
import { announce } from './dom.ts';

/** The completion lines of a chapter page, kept in step with its progress. */
export interface ChapterCompletion {
  /** Shows or hides the lines for `progress`; `live` when a step just changed on this page. */
  update(progress: ProgressSnapshot, live: boolean): void;
}

/**
 * A chapter's completion (src/components/ChapterDone.astro, under the title and after the last
 * step): shown while every step has passed, and read out, with a short glow, at the moment the
 * last one passes on this page. Undefined on a page that is not a chapter with steps.
 */
export function chapterCompletion(chapters: ChapterSummary[]): ChapterCompletion | undefined {
  const bar = document.querySelector<HTMLElement>('.chapter-bar');
  const chapter = chapters.find((c) => c.id === bar?.dataset.chapter);
  const lines = [...document.querySelectorAll<HTMLElement>('.chapter-done')];
  if (!chapter || chapter.steps.length === 0 || lines.length === 0) return undefined;
  let complete: boolean | undefined;

  return {
    update(progress, live) {
      const now = passedCount(progress, chapter) === chapter.steps.length;
      if (now === complete) return;
      const justNow = now && live && complete === false;
      complete = now;
      for (const line of lines) {
        line.hidden = !now;
        line.toggleAttribute('data-just-now', justNow);
      }
      if (justNow) {
        const next = lines[0]?.querySelector('a')?.textContent;
        announce(`Chapter complete: all ${chapter.steps.length} steps of “${chapter.title}” passed.${next ? ` ${next}.` : ''}`);
      }
    },
  };
}
