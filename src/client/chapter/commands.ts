import type { ClientMessage, ServerMessage, StepProgress } from '../../../protocol/messages.ts';
import { setsShellState } from '../../../protocol/shell-state.ts';
import { announce, codeSpans, el } from '../dom.ts';
import '../../styles/step-commands.css';

type Refused = Extract<ServerMessage, { type: 'run-refused' }>;

/** The words beside a command for its state in the current attempt. */
const COMMAND_STATE = { done: 'Done', running: 'Running…' } as const;

/**
 * A step's commands as the page shows them (styles: src/styles/step-commands.css): which ones
 * are done in this attempt, which one runs (the only time a spinner turns), the next Run
 * highlighted, "1 of 7 done" in the step's header, "Run all commands of this step", why a Run
 * was not typed with its one-click way out, and a note on steps whose commands changed a shell
 * that has since ended.
 */
export interface StepCommands {
  /** Draws the commands of a step from its progress (after its state and result are drawn). */
  draw(section: HTMLElement, progress: StepProgress | undefined): void;
  /** The server did not type a Run: says why under the command (or in the chapter bar), with the button that clears the line first. */
  refused(m: Refused, send: (message: ClientMessage) => boolean): void;
  /** The shell the page is attached to now: steps whose commands changed another shell say so. */
  shell(id: string): void;
}

/** The step's commands (their `li`), in order. */
function commandItems(section: HTMLElement): HTMLElement[] {
  return [...section.querySelectorAll<HTMLElement>('.tutorial-step__command')];
}

/** The area under the step's commands where a refused Run says why (made on first use). */
function refusalArea(section: HTMLElement): HTMLElement {
  let area = section.querySelector<HTMLElement>('.tutorial-step__refusal');
  if (!area) {
    area = el('div', 'tutorial-step__refusal');
    area.setAttribute('role', 'alert');
    area.hidden = true;
    const after = section.querySelector('.tutorial-step__commands') ?? section.querySelector('.tutorial-step__actions');
    after?.after(area);
  }
  return area;
}

export function stepCommands(
  sections: HTMLElement[],
  o: { runStep(section: HTMLElement): void; chapterBar: HTMLElement | null },
): StepCommands {
  const progressOf = new Map<HTMLElement, StepProgress | undefined>();
  let shellId: string | undefined;

  for (const section of sections) {
    const items = commandItems(section);
    for (const item of items) item.append(el('span', 'tutorial-step__command-state'));
    if (items.length > 1) {
      const all = el('button', 'tutorial-button tutorial-run-all', 'Run all commands of this step');
      all.type = 'button';
      all.addEventListener('click', () => o.runStep(section));
      section.querySelector('.tutorial-step__actions')?.prepend(all);
    }
  }

  function drawShellNote(section: HTMLElement): void {
    const p = progressOf.get(section);
    const commands = [...section.querySelectorAll('.tutorial-step__command code')].map((c) => c.textContent ?? '');
    const setters = commands.filter(setsShellState);
    const gone =
      shellId !== undefined &&
      p?.shell !== undefined &&
      p.shell !== shellId &&
      (p.state === 'passed' || p.state === 'in-progress' || p.state === 'stale') &&
      setters.length > 0;
    let note = section.querySelector<HTMLElement>('.tutorial-step__shell-note');
    if (!gone) {
      note?.remove();
      return;
    }
    if (!note) {
      note = el('p', 'tutorial-step__shell-note');
      section.querySelector('.tutorial-step__header')?.after(note);
    }
    note.replaceChildren(
      ...codeSpans(
        `Your terminal is a new shell: what this step set in the old one (\`${setters[0]}\`) is gone, so the steps after it would miss it. Press Run again.`,
      ),
    );
  }

  return {
    draw(section, progress) {
      progressOf.set(section, progress);
      const items = commandItems(section);
      const c = progress?.commands;
      const done = new Set(c?.done ?? []);
      const running = progress?.state === 'running' ? c?.running : undefined;
      // The next command to run: the first one not done, unless the step passed (then none).
      const next = progress?.state === 'passed' || running !== undefined ? -1 : items.findIndex((_, i) => !done.has(i));
      items.forEach((item, i) => {
        const state = running === i ? 'running' : done.has(i) ? 'done' : i === next && done.size > 0 ? 'next' : '';
        if (state) item.dataset.commandState = state;
        else delete item.dataset.commandState;
        const words = item.querySelector('.tutorial-step__command-state');
        if (words) words.textContent = state === 'running' || state === 'done' ? COMMAND_STATE[state] : '';
      });
      // "2 of 7 done" says more than "In progress"; a running step says which command runs.
      const label = section.querySelector('.tutorial-step__state');
      if (label && c && c.total > 1 && progress?.state === 'in-progress') label.textContent = `${done.size} of ${c.total} done`;
      if (label && c && c.total > 1 && running !== undefined) label.textContent = `Running ${running + 1} of ${c.total}…`;
      if (progress?.state === 'running') refusalArea(section).hidden = true;
      drawShellNote(section);
    },

    refused(m, send) {
      const section = sections.find((s) => s.dataset.step === m.step);
      const area =
        m.request === 'run-chapter' ? o.chapterBar?.querySelector<HTMLElement>('.chapter-bar__run-text') : section && refusalArea(section);
      if (!area) return;
      if (m.request === 'run-chapter') area.closest<HTMLElement>('.chapter-bar__run')?.removeAttribute('hidden');
      const parts: Node[] = codeSpans(m.message);
      if (m.clear) {
        const again: ClientMessage =
          m.request === 'run'
            ? { type: 'run', chapter: m.chapter, step: m.step, index: m.index, clear: true }
            : m.request === 'run-step'
              ? { type: 'run-step', chapter: m.chapter, step: m.step, from: m.index, clear: true }
              : { type: 'run-chapter', chapter: m.chapter, ...(m.upTo ? { upTo: m.upTo } : {}), clear: true };
        const button = el('button', 'tutorial-button tutorial-button--primary tutorial-clear-run', m.clear);
        button.type = 'button';
        button.addEventListener('click', () => {
          area.hidden = m.request !== 'run-chapter';
          area.replaceChildren();
          send(again);
        });
        parts.push(document.createTextNode(' '), button);
      }
      area.replaceChildren(...parts);
      area.hidden = false;
      announce(m.message);
    },

    shell(id) {
      shellId = id;
      for (const section of sections) drawShellNote(section);
    },
  };
}
