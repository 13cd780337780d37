import { type ShownState, STATE_LABEL } from '../chapters.ts';

/** The step sections of a chapter page (src/components/Step.astro), by step id. */
export function stepSection(step: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`.tutorial-step[data-step="${CSS.escape(step)}"]`);
}

/** Shows a step's state: its icon and colour (data-state) and the words beside them. */
export function setStepState(section: HTMLElement, state: ShownState): void {
  section.dataset.state = state;
  const label = section.querySelector('.tutorial-step__state');
  if (label) label.textContent = STATE_LABEL[state];
  // Busy steps say so to assistive technology too.
  section.setAttribute('aria-busy', String(state === 'running' || state === 'checking'));
}

/** "Step 2, Find the note": how a step is named in announcements. */
export function stepName(section: HTMLElement): string {
  return `Step ${Number(section.dataset.index) + 1}, ${section.dataset.title ?? ''}`;
}
