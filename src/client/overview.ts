import type { ProgressSnapshot } from '../../protocol/messages.ts';
import { type ChapterSummary, passedCount, STATE_LABEL, stepState } from './chapters.ts';
import type { Connection } from './connection.ts';
import { codeSpans } from './dom.ts';
import { confirmReset } from './reset.ts';

/**
 * The overview page (/progress/): every chapter with its steps' states, filled from the server's
 * `progress` messages over the same websocket, without a terminal.
 */
export function overview(root: HTMLElement, chapters: ChapterSummary[], conn: Connection): { update(progress: ProgressSnapshot): void } {
  for (const button of root.querySelectorAll<HTMLButtonElement>('[data-action="reset-chapter"]')) {
    button.addEventListener('click', async () => {
      const c = chapters.find((x) => x.id === button.dataset.chapter);
      if (c && (await confirmReset(c))) conn.send({ type: 'reset', chapter: c.id });
    });
  }
  return {
    update(progress) {
      for (const c of chapters) {
        const section = root.querySelector<HTMLElement>(`[data-chapter="${CSS.escape(c.id)}"]`);
        if (!section) continue;
        const n = passedCount(progress, c);
        const meter = section.querySelector('progress');
        if (meter) meter.value = n;
        const count = section.querySelector('.progress-chapter__count');
        if (count) count.textContent = `${n} of ${c.steps.length} steps passed`;
        for (const s of c.steps) {
          const item = section.querySelector<HTMLElement>(`[data-step="${CSS.escape(s.id)}"]`);
          if (!item) continue;
          const state = stepState(progress, c.id, s.id);
          item.dataset.state = state;
          const label = item.querySelector('.progress-step__state');
          if (label) label.textContent = STATE_LABEL[state];
          const message = item.querySelector('.progress-step__message');
          if (message) message.replaceChildren(...codeSpans(progress[c.id]?.[s.id]?.result?.message ?? ''));
        }
      }
    },
  };
}
