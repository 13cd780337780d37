import type { ProgressSnapshot, ServerMessage, StepState } from '../../../protocol/messages.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import type { ChapterSummary } from '../chapters.ts';
import { announce } from '../dom.ts';
import { confirmReset } from '../reset.ts';
import { clearResult, resultSentence, showResult } from './check-result.ts';
import type { Notice } from './notice.ts';
import { setStepState, stepSection } from './step-state.ts';

type StepEvent = Extract<ServerMessage, { type: 'command-started' | 'check-started' | 'check-result' }>;

/** The chapter's progress on the page: each step's state and result, and the chapter bar's count. */
export interface ChapterProgress {
  /** Shows the stored progress of every step. */
  snapshot(p: ProgressSnapshot): void;
  /** Shows a step's change. */
  step(m: StepEvent): void;
}

/** Draws the chapter's progress and wires the chapter bar's Reset; `bar` is null on a page without one. */
export function chapterProgress(
  bar: HTMLElement | null,
  sections: HTMLElement[],
  summary: ChapterSummary,
  notice: Notice,
): ChapterProgress {
  const chapter = summary.id;
  /** Steps whose state the page knows better than the stored progress (a check under way). */
  const transient = new Map<string, StepState>();
  /** What each step's result area shows, so a repeated snapshot does not close an open disclosure. */
  const shown = new Map<string, string>();
  const resultKey = (r: CheckResult | undefined, stale: boolean) =>
    r ? `${r.ok}|${r.message}|${r.durationMs}|${r.evidence.length}|${stale}` : '';

  bar?.querySelector<HTMLButtonElement>('[data-action="reset-chapter"]')?.addEventListener('click', async () => {
    if (await confirmReset(summary)) {
      transient.clear();
      if (notice.send({ type: 'reset', chapter })) announce(`The results of “${summary.title}” were forgotten.`);
    }
  });

  return {
    snapshot(p) {
      const steps = p[chapter] ?? {};
      let passed = 0;
      for (const section of sections) {
        const id = section.dataset.step ?? '';
        const stored = steps[id];
        const state = transient.get(id) ?? stored?.state ?? 'not-started';
        if (stored?.state === 'passed') passed++;
        setStepState(section, state);
        const stale = stored?.state === 'stale';
        const key = resultKey(stored?.result, stale);
        if (shown.get(id) === key || transient.has(id)) continue;
        shown.set(id, key);
        if (stored?.result) showResult(section, stored.result, stale);
        else clearResult(section);
      }
      if (bar) {
        const meter = bar.querySelector('progress');
        if (meter) meter.value = passed;
        const count = bar.querySelector('.chapter-bar__count');
        if (count) count.textContent = `${passed} of ${sections.length} steps passed`;
      }
    },
    step(m) {
      switch (m.type) {
        case 'command-started': {
          transient.set(m.step, 'running');
          const s = stepSection(m.step);
          if (s) setStepState(s, 'running');
          break;
        }
        case 'check-started': {
          transient.set(m.step, 'checking');
          const s = stepSection(m.step);
          if (s) setStepState(s, 'checking');
          break;
        }
        case 'check-result': {
          transient.delete(m.step);
          const s = stepSection(m.step);
          if (!s) break;
          setStepState(s, m.result.ok ? 'passed' : 'failed');
          showResult(s, m.result);
          shown.set(m.step, resultKey(m.result, false));
          announce(resultSentence(s, m.result));
          break;
        }
      }
    },
  };
}
