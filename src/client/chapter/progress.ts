import type { ProgressSnapshot, ServerMessage, StepProgress } from '../../../protocol/messages.ts';
import type { ChapterSummary } from '../chapters.ts';
import { announce } from '../dom.ts';
import { confirmReset } from '../reset.ts';
import { clearResult, resultSentence, showResult } from './check-result.ts';
import type { Notice } from './notice.ts';
import { setStepState, stepSection } from './step-state.ts';

/** One step's change, as the server sends it. */
export type StepChange = Extract<ServerMessage, { type: 'step-progress' }>;

/** The chapter's progress on the page: each step's state and result, and the chapter bar's count. */
export interface ChapterProgress {
  /**
   * Shows the progress in `p`: every step when the page (re)connects, only the changed step when
   * `change` is given (its result, if any, is read out); the chapter bar's count either way.
   */
  show(p: ProgressSnapshot, change?: StepChange): void;
  /** Shows that the step's check is running; its result comes as the step's next change. */
  checking(step: string): void;
}

/** Draws a step's stored progress: its state and its result (none while a command runs, or after a reset). */
function drawStep(section: HTMLElement, progress: StepProgress | undefined): void {
  const state = progress?.state ?? 'not-started';
  setStepState(section, state);
  if (progress?.result) showResult(section, progress.result, state === 'stale');
  else clearResult(section);
}

/** Draws the chapter's progress and wires the chapter bar's Reset; `bar` is null on a page without one. */
export function chapterProgress(
  bar: HTMLElement | null,
  sections: HTMLElement[],
  summary: ChapterSummary,
  notice: Notice,
  /** Draws what else a step's progress says (its commands, see commands.ts), after its state and result. */
  drawn: (section: HTMLElement, progress: StepProgress | undefined) => void = () => {},
): ChapterProgress {
  const chapter = summary.id;

  bar?.querySelector<HTMLButtonElement>('[data-action="reset-chapter"]')?.addEventListener('click', async () => {
    if ((await confirmReset(summary)) && notice.send({ type: 'reset', chapter })) {
      announce(`The results of “${summary.title}” were forgotten.`);
    }
  });

  function count(p: ProgressSnapshot): void {
    if (!bar) return;
    const passed = sections.filter((s) => p[chapter]?.[s.dataset.step ?? '']?.state === 'passed').length;
    const meter = bar.querySelector('progress');
    if (meter) meter.value = passed;
    const text = bar.querySelector('.chapter-bar__count');
    if (text) text.textContent = `${passed} of ${sections.length} steps passed`;
  }

  return {
    show(p, change) {
      if (!change) {
        for (const section of sections) {
          const progress = p[chapter]?.[section.dataset.step ?? ''];
          drawStep(section, progress);
          drawn(section, progress);
        }
      } else if (change.chapter === chapter) {
        const section = stepSection(change.step);
        if (section) {
          drawStep(section, change.progress);
          drawn(section, change.progress);
          if (change.progress.result) announce(resultSentence(section, change.progress.result));
        }
      }
      count(p);
    },
    checking(step) {
      const section = stepSection(step);
      if (section) setStepState(section, 'checking');
    },
  };
}
