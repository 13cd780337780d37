import type { ServerMessage } from '../../../protocol/messages.ts';
import { confirmDialog } from '../dialog.ts';
import { showDock } from '../dock.ts';
import { announce, el } from '../dom.ts';
import type { Notice } from './notice.ts';
import { stepName, stepSection } from './step-state.ts';

/** Running a whole chapter (or catching up to a step) for the learner, from the chapter bar. */
export interface ChapterRun {
  /** Confirms, listing every command it will type, then asks the server to run the steps up to `upTo`. */
  start(upTo?: string): Promise<void>;
  /** Shows how the run goes in the chapter bar. */
  show(m: Extract<ServerMessage, { type: 'chapter-run' }>): void;
}

/** Wires the chapter bar's Run this chapter and Stop buttons; `bar` is null on a page without one. */
export function chapterRun(
  bar: HTMLElement | null,
  sections: HTMLElement[],
  o: { chapter: string; dock: HTMLElement; notice: Notice; whenAttached(f: () => void): void },
): ChapterRun {
  const { chapter, notice } = o;

  async function start(upTo?: string): Promise<void> {
    const last = upTo ? sections.findIndex((s) => s.dataset.step === upTo) : sections.length - 1;
    const chosen = sections.slice(0, last + 1);
    const list = el('ol', 'tutorial-dialog__steps');
    for (const s of chosen) {
      const item = el('li', undefined);
      item.append(el('p', 'tutorial-dialog__step-title', s.dataset.title ?? ''));
      const commands = [...s.querySelectorAll('.tutorial-step__command code')].map((c) => c.textContent ?? '');
      if (commands.length === 0) item.append(el('p', 'tutorial-dialog__none', 'No command: only its check runs.'));
      for (const c of commands) item.append(el('pre', undefined, c));
      list.append(item);
    }
    const n = chosen.length;
    const ok = await confirmDialog({
      title: upTo ? `Catch up to step ${n}?` : 'Run this chapter for you?',
      body: [
        el(
          'p',
          undefined,
          `These commands are typed into this chapter's terminal, in order, exactly as if you had pressed Run on each (${n} step${n === 1 ? '' : 's'}). After each step its check runs; the run stops at the first step whose check fails.`,
        ),
        list,
      ],
      confirm: upTo ? `Run ${n} step${n === 1 ? '' : 's'}` : 'Run the chapter',
    });
    if (!ok) return;
    notice.clear();
    showDock(o.dock);
    o.whenAttached(() => notice.send(upTo ? { type: 'run-chapter', chapter, upTo } : { type: 'run-chapter', chapter }));
  }

  function show(m: Extract<ServerMessage, { type: 'chapter-run' }>): void {
    if (!bar) return;
    const box = bar.querySelector<HTMLElement>('.chapter-bar__run')!;
    const text = box.querySelector<HTMLElement>('.chapter-bar__run-text')!;
    const stop = box.querySelector<HTMLButtonElement>('[data-action="stop-chapter"]')!;
    const section = m.step ? stepSection(m.step) : null;
    const name = section ? stepName(section) : 'the chapter';
    box.hidden = false;
    box.dataset.state = m.state;
    const running = m.state === 'running';
    stop.hidden = !running;
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-action="run-chapter"], .tutorial-catch-up')) b.disabled = running;
    switch (m.state) {
      case 'running':
        text.textContent = `Running ${name} of ${sections.length}…`;
        return;
      case 'passed':
        text.textContent = 'Done: every step passed.';
        break;
      case 'failed': {
        text.replaceChildren(`Stopped at ${name}: its check failed. `);
        if (section) {
          const link = el('a', undefined, 'See why');
          link.href = `#${section.id}`;
          text.append(link);
        }
        break;
      }
      case 'stopped':
        text.textContent = `Stopped before ${name}, as you asked.`;
        break;
    }
    announce(text.textContent ?? '');
  }

  bar?.querySelector<HTMLButtonElement>('[data-action="run-chapter"]')?.addEventListener('click', () => void start());
  bar?.querySelector<HTMLButtonElement>('[data-action="stop-chapter"]')?.addEventListener('click', () => {
    notice.send({ type: 'stop-chapter', chapter });
    const text = bar.querySelector('.chapter-bar__run-text');
    if (text) text.textContent = 'Stopping after the command that is running now…';
  });
  return { start, show };
}
