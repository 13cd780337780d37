import type { ChapterSummary } from '../../protocol/content.ts';
import type { ProgressSnapshot, StepProgress, StepState } from '../../protocol/messages.ts';

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

/** A step's state as the page shows it: a stored state, or `checking` while its check runs. */
export type ShownState = StepState | 'checking';

/** The words for each state, shown beside the icon and read by screen readers. */
export const STATE_LABEL: Record<ShownState, string> = {
  'not-started': 'Not started',
  running: 'Running…',
  'in-progress': 'In progress',
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

/** The snapshot with one step's progress replaced: the server sends each change on its own. */
export function withStepProgress(progress: ProgressSnapshot, chapter: string, step: string, p: StepProgress): ProgressSnapshot {
  return { ...progress, [chapter]: { ...progress[chapter], [step]: p } };
}
