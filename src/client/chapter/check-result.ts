import type { CheckResult } from '../../../protocol/result.ts';
import { codeSpans, el } from '../dom.ts';
import { stepName } from './step-state.ts';

/**
 * Draws a check result under the step: the verdict and message, the hint, the diagnosis (cause
 * and fix) when the server recognised the failure, and the evidence folded under a disclosure.
 * `stale` marks a result from before the step's content changed. (Styles: src/styles/check-result.css.)
 */
export function showResult(section: HTMLElement, result: CheckResult, stale = false): void {
  const area = section.querySelector<HTMLElement>('.tutorial-step__result');
  if (!area) return;
  area.hidden = false;
  area.dataset.ok = String(result.ok);
  area.toggleAttribute('data-stale', stale);
  const verdict = el('p', 'tutorial-step__message');
  verdict.append(el('strong', undefined, result.ok ? 'Passed. ' : 'Not yet. '), ...codeSpans(result.message));
  const parts: Node[] = [verdict];
  if (stale) parts.push(el('p', 'tutorial-step__stale', 'This step has changed since this result was recorded: run it again.'));
  // The server puts a diagnosis's cause and fix before the hint too; they are shown on their own.
  // A recognised cause's fix is the advice: the probe's general hint (say, "Start it with
  // `docker compose up -d elasticsearch`" for a container that was never created because its
  // image could not be downloaded) could contradict it, so it is not shown beside it.
  const hintText = result.diagnosis ? '' : (result.hint ?? '').trim();
  if (!result.ok && hintText) {
    const hint = el('p', 'tutorial-step__hint');
    hint.append(el('strong', undefined, 'Try this: '), ...codeSpans(hintText));
    parts.push(hint);
  }
  if (!result.ok && result.diagnosis) {
    const d = el('div', 'tutorial-step__diagnosis');
    const cause = el('p');
    cause.append(el('strong', undefined, 'Cause: '), ...codeSpans(result.diagnosis.cause));
    const fix = el('p');
    fix.append(el('strong', undefined, 'Fix: '), ...codeSpans(result.diagnosis.fix));
    d.append(cause, fix);
    parts.push(d);
  }
  if (result.evidence.length > 0) {
    const details = el('details', 'tutorial-step__evidence');
    details.append(el('summary', undefined, `Evidence (${result.evidence.length})`));
    for (const e of result.evidence) {
      const item = el('div', 'tutorial-step__evidence-item');
      item.append(el('p', 'tutorial-step__evidence-label', e.label), el('pre', undefined, e.text));
      details.append(item);
    }
    parts.push(details);
  }
  if (result.durationMs !== undefined) parts.push(el('p', 'tutorial-step__took', `Checked in ${formatMs(result.durationMs)}.`));
  area.replaceChildren(...parts);
}

/** Empties and hides the step's result area (a step not started, or reset). */
export function clearResult(section: HTMLElement): void {
  const area = section.querySelector<HTMLElement>('.tutorial-step__result');
  if (!area) return;
  area.hidden = true;
  area.replaceChildren();
}

/** The sentence read out when a result arrives. */
export function resultSentence(section: HTMLElement, result: CheckResult): string {
  const extra = result.ok ? '' : [result.hint, result.diagnosis?.cause].filter(Boolean).join(' ');
  return `${stepName(section)}: ${result.ok ? 'passed' : 'failed'}. ${result.message} ${extra}`.trim();
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
