import type { ProgressSnapshot } from '../../protocol/messages.ts';
import { type ChapterSummary, passedCount } from './chapters.ts';
import { el } from './dom.ts';

/**
 * Puts a small progress bar and "passed/total" under each chapter's link in Starlight's sidebar.
 * The bars are added at once (empty) so the sidebar does not jump when the server's first
 * `progress` message fills them.
 */
export function sidebarProgress(chapters: ChapterSummary[]): { update(progress: ProgressSnapshot): void } {
  const bars = new Map<string, { root: HTMLElement; fill: HTMLElement; text: HTMLElement; sr: HTMLElement }>();
  for (const c of chapters) {
    for (const link of document.querySelectorAll<HTMLAnchorElement>(`nav.sidebar a[href="${CSS.escape(c.href)}"]`)) {
      const root = el('span', 'sidebar-progress');
      root.dataset.chapter = c.id;
      const track = el('span', 'sidebar-progress__track');
      track.setAttribute('aria-hidden', 'true');
      const fill = el('span', 'sidebar-progress__fill');
      track.append(fill);
      const text = el('span', 'sidebar-progress__text');
      text.setAttribute('aria-hidden', 'true');
      // The link's accessible name gets a sentence, not "0/2".
      const sr = el('span', 'sr-only');
      root.append(track, text, sr);
      link.append(root);
      link.classList.add('has-progress');
      bars.set(c.id, { root, fill, text, sr });
    }
  }
  const update = (progress: ProgressSnapshot) => {
    for (const c of chapters) {
      const b = bars.get(c.id);
      if (!b) continue;
      const n = passedCount(progress, c);
      const total = c.steps.length;
      b.fill.style.inlineSize = `${(100 * n) / Math.max(1, total)}%`;
      b.text.textContent = `${n}/${total}`;
      b.sr.textContent = `, ${n} of ${total} steps passed`;
      b.root.dataset.done = String(n === total);
    }
  };
  update({});
  return { update };
}
