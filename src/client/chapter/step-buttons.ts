import { showDock } from '../dock.ts';
import { announce } from '../dom.ts';
import type { Notice } from './notice.ts';

/**
 * Wires each step's buttons: Run (types command number `index` into the chapter's shell),
 * Copy, Check, and Catch me up (runs the chapter up to this step, after asking).
 */
export function wireStepButtons(
  sections: HTMLElement[],
  o: {
    chapter: string;
    dock: HTMLElement;
    notice: Notice;
    whenAttached(f: () => void): void;
    catchUp(step: string): void;
  },
): void {
  const { chapter, notice } = o;
  for (const section of sections) {
    const step = section.dataset.step ?? '';
    for (const button of section.querySelectorAll<HTMLButtonElement>('.tutorial-run')) {
      button.addEventListener('click', () => {
        notice.clear();
        showDock(o.dock);
        // Focus stays on the button: moving it into the terminal would trap Tab there.
        o.whenAttached(() => notice.send({ type: 'run', chapter, step, index: Number(button.dataset.index) }));
      });
    }
    for (const button of section.querySelectorAll<HTMLButtonElement>('.tutorial-copy')) {
      button.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(button.dataset.command ?? '');
          button.textContent = 'Copied';
          announce('Command copied to the clipboard.');
          setTimeout(() => {
            button.textContent = 'Copy';
          }, 1500);
        } catch {
          notice.say('The browser did not allow copying; select the command and copy it by hand.');
        }
      });
    }
    section.querySelector<HTMLButtonElement>('.tutorial-check')?.addEventListener('click', () => {
      notice.clear();
      notice.send({ type: 'check', chapter, step });
    });
    section.querySelector<HTMLButtonElement>('.tutorial-catch-up')?.addEventListener('click', () => o.catchUp(step));
  }
}
