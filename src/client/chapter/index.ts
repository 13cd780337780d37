import type { ProgressSnapshot, ServerMessage } from '../../../protocol/messages.ts';
import type { ChapterSummary } from '../chapters.ts';
import type { Connection, ConnectionState } from '../connection.ts';
import { el } from '../dom.ts';
import { chapterRun } from './chapter-run.ts';
import { dockNotice } from './notice.ts';
import { chapterProgress, type StepChange } from './progress.ts';
import { chapterShell } from './shell.ts';
import { wireStepButtons } from './step-buttons.ts';

/**
 * A chapter page: the terminal dock (shell.ts), the steps' buttons (step-buttons.ts), running the
 * chapter for the learner (chapter-run.ts), each step's state and result (progress.ts, drawn by
 * step-state.ts and check-result.ts), and the dock's notice line (notice.ts).
 */

/** The server messages about a chapter's shell and runs (progress comes through `progress`). */
export type ChapterEvent = Extract<ServerMessage, { type: 'attached' | 'exit' | 'check-started' | 'chapter-run' }>;

/** What the site's message switch hands to a chapter page. */
export interface ChapterPage {
  output(bytes: Uint8Array, done: () => void): void;
  event(m: ChapterEvent): void;
  /** The site's progress after a snapshot (no `change`) or after one step's change. */
  progress(p: ProgressSnapshot, change?: StepChange): void;
  error(m: Extract<ServerMessage, { type: 'error' }>): void;
  connection(state: ConnectionState): void;
}

/** Wires the terminal dock, the steps and the chapter bar of a chapter page to the server. */
export function startChapterPage(dock: HTMLElement, conn: Connection, chapters: ChapterSummary[]): ChapterPage {
  const chapter = dock.dataset.chapter ?? '';
  const summary: ChapterSummary = chapters.find((c) => c.id === chapter) ?? {
    id: chapter,
    title: document.title,
    href: location.pathname,
    steps: [],
  };
  const bar = document.querySelector<HTMLElement>('.chapter-bar');
  const sections = [...document.querySelectorAll<HTMLElement>('.tutorial-step')];

  const shell = chapterShell(dock, conn, chapter);
  const notice = dockNotice(dock, conn);
  const run = chapterRun(bar, sections, { chapter, dock, notice, whenAttached: shell.whenAttached });
  wireStepButtons(sections, { chapter, dock, notice, whenAttached: shell.whenAttached, catchUp: (step) => void run.start(step) });
  const progress = chapterProgress(bar, sections, summary, notice);

  return {
    output: shell.output,
    event(m) {
      if (m.chapter !== chapter) return;
      switch (m.type) {
        case 'attached':
          shell.attached(m);
          break;
        case 'exit':
          shell.exited(m);
          break;
        case 'check-started':
          progress.checking(m.step);
          break;
        case 'chapter-run':
          run.show(m);
          break;
        default: {
          const unhandled: never = m;
          console.warn('Unhandled chapter event', unhandled);
        }
      }
    },
    progress: progress.show,
    error(m) {
      notice.say(m.message);
      if (m.code === 'taken-over') {
        const take = el('button', 'tutorial-button', 'Use it here');
        take.type = 'button';
        take.addEventListener('click', () => {
          notice.clear();
          shell.attach();
        });
        notice.element.append(' ', take);
      }
    },
    connection(state) {
      shell.connection(state);
      if (state === 'open') notice.clear();
    },
  };
}
