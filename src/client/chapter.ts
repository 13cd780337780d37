import type { ProgressSnapshot, ServerMessage, StepState } from '../../protocol/messages.ts';
import type { CheckResult } from '../../protocol/result.ts';
import type { ChapterSummary } from './chapters.ts';
import type { Connection, ConnectionState } from './connection.ts';
import { confirmDialog } from './dialog.ts';
import { dockLayout, showDock } from './dock.ts';
import { announce, el } from './dom.ts';
import { confirmReset } from './reset.ts';
import { clearResult, resultSentence, setStepState, showResult, stepName, stepSection } from './steps.ts';
import { openTerminal } from './terminal.ts';

/** Characters of terminal input per message (see MAX_CLIENT_FRAME in protocol/messages.ts). */
const INPUT_PIECE = 8 * 1024;

/** The server messages about a chapter's shell and steps. */
export type ChapterEvent = Extract<
  ServerMessage,
  { type: 'attached' | 'exit' | 'command-started' | 'command-ended' | 'check-started' | 'check-result' | 'chapter-run' }
>;

/** What the site's message switch hands to a chapter page. */
export interface ChapterPage {
  output(bytes: Uint8Array, done: () => void): void;
  event(m: ChapterEvent): void;
  progress(p: ProgressSnapshot): void;
  error(m: Extract<ServerMessage, { type: 'error' }>): void;
  connection(state: ConnectionState): void;
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  lost: 'Connection lost. Reconnecting…',
};

/** Wires the terminal dock, the steps and the chapter bar of a chapter page to the server. */
export function startChapterPage(dock: HTMLElement, conn: Connection, chapters: ChapterSummary[]): ChapterPage {
  const chapter = dock.dataset.chapter ?? '';
  const summary: ChapterSummary = chapters.find((c) => c.id === chapter) ?? {
    id: chapter,
    title: document.title,
    href: location.pathname,
    steps: [],
  };
  const screen = dock.querySelector<HTMLElement>('.terminal-dock__screen')!;
  const status = dock.querySelector<HTMLElement>('.terminal-dock__status')!;
  const lost = dock.querySelector<HTMLElement>('.terminal-dock__lost')!;
  const notice = dock.querySelector<HTMLElement>('.terminal-dock__message')!;
  const bar = document.querySelector<HTMLElement>('.chapter-bar');
  const sections = [...document.querySelectorAll<HTMLElement>('.tutorial-step')];
  document.documentElement.toggleAttribute('data-has-terminal', true);

  const { term, fit: refit } = openTerminal(screen);
  dockLayout(dock, refit);
  let shellEnded = false;

  // F6 leaves the terminal (xterm keeps Tab for the shell, so without it keyboard focus is trapped).
  term.attachCustomKeyEventHandler((e) => {
    if (e.key === 'F6' && e.type === 'keydown') {
      dock.querySelector<HTMLElement>('.terminal-dock__toggle')?.focus();
      return false;
    }
    return true;
  });
  term.onData((data) => {
    if (shellEnded) {
      shellEnded = false;
      attach();
      return;
    }
    // A large paste goes in pieces that each fit the server's frame limit, even when every
    // character needs a six-byte JSON escape; the server types them in order.
    let i = 0;
    while (i < data.length) {
      let end = Math.min(data.length, i + INPUT_PIECE);
      // Never split a surrogate pair between two messages.
      const last = data.charCodeAt(end - 1);
      if (end < data.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      conn.send({ type: 'input', data: data.slice(i, end) });
      i = end;
    }
  });
  term.onResize(({ cols, rows }) => conn.send({ type: 'resize', cols, rows }));
  const attach = () => conn.send({ type: 'attach', chapter, cols: term.cols, rows: term.rows });
  conn.whenOpen(attach);

  /** Steps whose state the page knows better than the stored progress (a check under way). */
  const transient = new Map<string, StepState>();
  /** What each step's result area shows, so a repeated snapshot does not close an open disclosure. */
  const shown = new Map<string, string>();
  const resultKey = (r: CheckResult | undefined, stale: boolean) =>
    r ? `${r.ok}|${r.message}|${r.durationMs}|${r.evidence.length}|${stale}` : '';

  const say = (text: string) => {
    notice.textContent = text;
    notice.hidden = false;
  };
  const clearNotice = () => {
    notice.hidden = true;
    notice.replaceChildren();
  };
  const send = (m: Parameters<Connection['send']>[0]) => {
    if (conn.send(m)) return true;
    say('This page is not connected to the tutorial server right now; it reconnects by itself. Try again in a moment.');
    return false;
  };
  // Run needs the chapter's shell, which exists once the server has attached this page to it:
  // a click that comes earlier (right after loading) waits for that instead of being refused.
  let attached = false;
  let pending: (() => void)[] = [];
  const whenAttached = (f: () => void) => {
    if (attached) f();
    else pending.push(f);
  };

  // Steps: Run, Copy, Check, Catch me up.
  for (const section of sections) {
    const step = section.dataset.step ?? '';
    for (const button of section.querySelectorAll<HTMLButtonElement>('.tutorial-run')) {
      button.addEventListener('click', () => {
        clearNotice();
        showDock(dock);
        // Focus stays on the button: moving it into the terminal would trap Tab there.
        whenAttached(() => send({ type: 'run', chapter, step, index: Number(button.dataset.index) }));
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
          say('The browser did not allow copying; select the command and copy it by hand.');
        }
      });
    }
    section.querySelector<HTMLButtonElement>('.tutorial-check')?.addEventListener('click', () => {
      clearNotice();
      send({ type: 'check', chapter, step });
    });
    section.querySelector<HTMLButtonElement>('.tutorial-catch-up')?.addEventListener('click', () => void runChapter(step));
  }

  // The chapter bar: Run this chapter, Reset, Stop.
  bar?.querySelector<HTMLButtonElement>('[data-action="run-chapter"]')?.addEventListener('click', () => void runChapter());
  bar?.querySelector<HTMLButtonElement>('[data-action="stop-chapter"]')?.addEventListener('click', () => {
    send({ type: 'stop-chapter', chapter });
    const text = bar.querySelector('.chapter-bar__run-text');
    if (text) text.textContent = 'Stopping after the command that is running now…';
  });
  bar?.querySelector<HTMLButtonElement>('[data-action="reset-chapter"]')?.addEventListener('click', async () => {
    if (await confirmReset(summary)) {
      transient.clear();
      if (send({ type: 'reset', chapter })) announce(`The results of “${summary.title}” were forgotten.`);
    }
  });

  /** Confirms, listing every command it will type, then asks the server to run the steps. */
  async function runChapter(upTo?: string): Promise<void> {
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
    clearNotice();
    showDock(dock);
    whenAttached(() => send(upTo ? { type: 'run-chapter', chapter, upTo } : { type: 'run-chapter', chapter }));
  }

  function chapterRun(m: Extract<ChapterEvent, { type: 'chapter-run' }>): void {
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

  function renderProgress(p: ProgressSnapshot): void {
    const steps = p[chapter] ?? {};
    let passed = 0;
    for (const section of sections) {
      const id = section.dataset.step ?? '';
      const stored = steps[id];
      const state = transient.get(id) ?? stored?.state ?? 'not-started';
      if (stored?.state === 'passed') passed++;
      setStepState(section, state);
      const stale = stored?.state === 'stale';
      const key = resultKey(stored?.result, stale);
      if (shown.get(id) === key || transient.has(id)) continue;
      shown.set(id, key);
      if (stored?.result) showResult(section, stored.result, stale);
      else clearResult(section);
    }
    if (bar) {
      const meter = bar.querySelector('progress');
      if (meter) meter.value = passed;
      const count = bar.querySelector('.chapter-bar__count');
      if (count) count.textContent = `${passed} of ${sections.length} steps passed`;
    }
  }

  return {
    output(bytes, done) {
      term.write(bytes, done);
    },
    event(m) {
      if (m.chapter !== chapter) return;
      switch (m.type) {
        case 'attached':
          // The screen comes back: the server replays the shell's recent output.
          term.reset();
          if (m.replay) term.write(m.replay);
          refit();
          attached = true;
          dock.dataset.attached = 'true';
          for (const f of pending) f();
          pending = [];
          break;
        case 'exit':
          shellEnded = true;
          term.write(`\r\n\x1b[2m[The shell ended with status ${m.exitCode}. Press any key to start a new one.]\x1b[0m\r\n`);
          break;
        case 'command-started': {
          transient.set(m.step, 'running');
          const s = stepSection(m.step);
          if (s) setStepState(s, 'running');
          break;
        }
        case 'command-ended':
          // The server checks on its own after the last (or a failing) command; until then the
          // step is still running.
          break;
        case 'check-started': {
          transient.set(m.step, 'checking');
          const s = stepSection(m.step);
          if (s) setStepState(s, 'checking');
          break;
        }
        case 'check-result': {
          transient.delete(m.step);
          const s = stepSection(m.step);
          if (!s) break;
          setStepState(s, m.result.ok ? 'passed' : 'failed');
          showResult(s, m.result);
          shown.set(m.step, resultKey(m.result, false));
          announce(resultSentence(s, m.result));
          break;
        }
        case 'chapter-run':
          chapterRun(m);
          break;
        default: {
          const unhandled: never = m;
          console.warn('Unhandled chapter event', unhandled);
        }
      }
    },
    progress: renderProgress,
    error(m) {
      say(m.message);
      if (m.code === 'taken-over') {
        const take = el('button', 'tutorial-button', 'Use it here');
        take.type = 'button';
        take.addEventListener('click', () => {
          clearNotice();
          attach();
        });
        notice.append(' ', take);
      }
    },
    connection(state) {
      if (state !== 'open') {
        attached = false;
        delete dock.dataset.attached;
      }
      status.textContent = CONNECTION_TEXT[state];
      dock.dataset.connection = state;
      lost.hidden = state !== 'lost';
      if (state === 'open') clearNotice();
    },
  };
}
