import type { ProgressSnapshot, ServerMessage } from '../../../protocol/messages.ts';
import type { ChapterSummary } from '../chapters.ts';
import type { Connection, ConnectionState } from '../connection.ts';
import { showDock } from '../dock.ts';
import { el } from '../dom.ts';
import { chapterRun } from './chapter-run.ts';
import { stepCommands } from './commands.ts';
import { chapterNeeds } from './needs.ts';
import { dockNotice } from './notice.ts';
import { chapterProgress, type StepChange } from './progress.ts';
import { chapterShell } from './shell.ts';
import { wireStepButtons } from './step-buttons.ts';

/**
 * A chapter page: the terminal dock (shell.ts), the steps' buttons (step-buttons.ts), each
 * step's commands as they go (commands.ts), running the chapter for the learner (chapter-run.ts),
 * each step's state and result (progress.ts, drawn by step-state.ts and check-result.ts), and the
 * dock's notice line (notice.ts).
 */

/** The server messages about a chapter's shell and runs (progress comes through `progress`). */
export type ChapterEvent = Extract<
  ServerMessage,
  { type: 'attached' | 'terminal-free' | 'exit' | 'check-started' | 'chapter-run' | 'needs' | 'catch-up' | 'run-refused' }
>;

/** What the site's message switch hands to a chapter page. */
export interface ChapterPage {
  output(bytes: Uint8Array, done: () => void): void;
  event(m: ChapterEvent): void;
  /** The site's progress after a snapshot (no `change`) or after one step's change. */
  progress(p: ProgressSnapshot, change?: StepChange): void;
  error(m: Extract<ServerMessage, { type: 'error' }>): void;
  connection(state: ConnectionState): void;
  /** About the server (sent as the page connects): the command that restarts it. */
  server(m: Extract<ServerMessage, { type: 'server-info' }>): void;
}

const MOVED = 'This chapter\'s terminal is in use in another tab. Press "Use it here" to use it in this tab.';

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

  const notice = dockNotice(dock, conn);
  /** The terminal moved to another tab: says so, with the button that brings it back here. */
  const moved = (text = MOVED) => {
    notice.say(text);
    const take = el('button', 'tutorial-button', 'Use it here');
    take.type = 'button';
    take.addEventListener('click', () => {
      notice.clear();
      shell.attach();
    });
    notice.element.append(' ', take);
  };
  const shell = chapterShell(dock, conn, chapter, {
    detachedKey: () => moved(),
    newShell: () =>
      notice.say(
        'This terminal is a new shell: the tutorial server restarted (or the old shell ended), so what you set in the old one, such as variables and the current folder, is gone.',
      ),
  });
  // A button pressed in a tab that gave the terminal away waits for "Use it here".
  const whenAttached = (f: () => void) => {
    if (shell.detached) moved();
    shell.whenAttached(f);
  };
  const run = chapterRun(bar, sections, { chapter, dock, notice, whenAttached });
  // Catch me up to here runs what the chapter lacks from earlier chapters too (needs.ts).
  const needs = chapterNeeds(document.querySelector<HTMLElement>('.needs-panel'), sections, {
    chapter,
    dock,
    notice,
    whenAttached,
  });
  wireStepButtons(sections, { chapter, dock, notice, whenAttached, catchUp: (step) => void needs.catchUp(step) });
  const commands = stepCommands(sections, {
    chapterBar: bar,
    runStep(section) {
      notice.clear();
      showDock(dock);
      whenAttached(() => notice.send({ type: 'run-step', chapter, step: section.dataset.step ?? '' }));
    },
  });
  const progress = chapterProgress(bar, sections, summary, notice, commands.draw);

  return {
    output: shell.output,
    event(m) {
      if (m.chapter !== chapter) return;
      switch (m.type) {
        case 'attached':
          if (shell.detached) notice.clear();
          shell.attached(m);
          if (m.shell) commands.shell(m.shell);
          needs.ask();
          break;
        case 'terminal-free':
          // The tab that took the terminal closed: it comes back here by itself.
          if (shell.detached) {
            notice.clear();
            shell.attach();
          }
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
        case 'needs':
          needs.show(m.needs);
          break;
        case 'catch-up':
          needs.progress(m);
          break;
        case 'run-refused':
          commands.refused(m, notice.send);
          break;
        default: {
          const unhandled: never = m;
          console.warn('Unhandled chapter event', unhandled);
        }
      }
    },
    progress: progress.show,
    error(m) {
      if (m.code === 'taken-over' || m.code === 'not-attached') {
        shell.detach();
        moved(m.message);
      } else notice.say(m.message);
    },
    connection(state) {
      shell.connection(state);
      if (state === 'open' && !shell.detached) notice.clear();
    },
    server(m) {
      shell.restartCommand(m.restart);
    },
  };
}
