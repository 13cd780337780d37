import type { ChapterSummary } from './chapters.ts';
import { confirmDialog } from './dialog.ts';
import { el } from './dom.ts';

/** Asks before forgetting a chapter's results, and says exactly what is and is not undone. */
export function confirmReset(c: ChapterSummary): Promise<boolean> {
  const n = c.steps.length;
  const steps = `${n} step${n === 1 ? '' : 's'}`;
  return confirmDialog({
    title: `Reset “${c.title}”?`,
    body: [
      el('p', undefined, `This forgets the stored check results of the chapter's ${steps}; each shows as not started again.`),
      el(
        'p',
        undefined,
        'It does not undo what the commands did: files in your workspace, containers, indices and data in the stack stay as they are, and so does the terminal.',
      ),
    ],
    confirm: `Forget ${n} result${n === 1 ? '' : 's'}`,
    danger: true,
  });
}
