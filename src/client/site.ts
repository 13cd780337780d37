import type { ProgressSnapshot, ServerMessage } from '../../protocol/messages.ts';
import { keepLinkTargetInView } from './anchor.ts';
import type { ChapterPage } from './chapter/index.ts';
import { readChapters, withStepProgress } from './chapters.ts';
import { chapterCompletion } from './completion.ts';
import { Connection, type ConnectionState } from './connection.ts';
import { announce } from './dom.ts';
import { overview } from './overview.ts';
import { sidebarProgress } from './sidebar-progress.ts';
import { renderStack } from './stack.ts';

/**
 * The page's one entry point, on every page: one websocket to the local server for the sidebar's
 * progress bars, the stack status and, on a chapter page, the terminal and the steps. The
 * terminal's code (xterm.js, most of the page's JS) is loaded only where there is a terminal.
 */
export async function startSite(): Promise<void> {
  keepLinkTargetInView();
  const chapters = readChapters();
  const sidebar = sidebarProgress(chapters);
  const completion = chapterCompletion(chapters);
  let progress: ProgressSnapshot = {};
  let chapter: ChapterPage | undefined;

  const conn = new Connection({
    onOutput(bytes, done) {
      if (chapter) chapter.output(bytes, done);
      else done();
    },
    onMessage: (m) => handle(m),
    onState: (s: ConnectionState) => chapter?.connection(s),
  });

  const overviewRoot = document.querySelector<HTMLElement>('.progress-overview');
  const overviewView = overviewRoot ? overview(overviewRoot, chapters, conn) : undefined;

  const dock = document.querySelector<HTMLElement>('.terminal-dock');
  if (dock) {
    const { startChapterPage } = await import('./chapter/index.ts');
    chapter = startChapterPage(dock, conn, chapters);
  }

  function handle(m: ServerMessage): void {
    switch (m.type) {
      // The snapshot comes once, when the socket opens; then each step's change on its own.
      case 'progress':
        progress = m.progress;
        sidebar.update(progress);
        overviewView?.update(progress);
        chapter?.progress(progress);
        completion?.update(progress, false);
        break;
      case 'step-progress':
        progress = withStepProgress(progress, m.chapter, m.step, m.progress);
        sidebar.update(progress);
        overviewView?.update(progress);
        chapter?.progress(progress, m);
        // After the chapter's own update, so that its completion is what is read out last.
        completion?.update(progress, true);
        break;
      case 'stack-status':
        renderStack(m.services);
        break;
      case 'attached':
      case 'terminal-free':
      case 'exit':
      case 'check-started':
      case 'chapter-run':
      case 'needs':
      case 'catch-up':
      case 'run-refused':
        // Every page hears every chapter's events; the chapter page keeps its own.
        chapter?.event(m);
        break;
      case 'server-info':
        chapter?.server(m);
        break;
      case 'error':
        if (chapter) chapter.error(m);
        else announce(m.message);
        break;
      default: {
        const unhandled: never = m;
        console.warn('Unhandled server message', unhandled);
      }
    }
  }

  conn.connect();
}
