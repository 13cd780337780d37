import type { ChapterSummary } from '../../protocol/content.ts';
import type { ProgressSnapshot, StepState } from '../../protocol/messages.ts';

/** A chapter as the sidebar's JSON island describes it (src/lib/chapters.ts writes it). */
export type { ChapterSummary };

/** The chapters with steps, in sidebar order. */
export function readChapters(): ChapterSummary[] {
  const island = document.getElementById('tutorial-chapters');
  if (!island?.textContent) return [];
  try {
    return JSON.parse(island.textContent) as ChapterSummary[];
  } catch {
    return [];
  }
}

/** The words for each state, shown beside the icon and read by screen readers. */
export const STATE_LABEL: Record<StepState, string> = {
  'not-started': 'Not started',
  running: 'Running…',
  checking: 'Checking…',
  passed: 'Passed',
  failed: 'Failed',
  stale: 'Changed since you passed it',
};

/** A step's state in a snapshot (a step with no entry has not been started). */
export function stepState(progress: ProgressSnapshot, chapter: string, step: string): StepState {
  return progress[chapter]?.[step]?.state ?? 'not-started';
}

/** How many of the chapter's steps passed (a stale pass does not count). */
export function passedCount(progress: ProgressSnapshot, c: ChapterSummary): number {
  return c.steps.filter((s) => stepState(progress, c.id, s.id) === 'passed').length;
}
