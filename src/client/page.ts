import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { CheckResult } from '../../protocol/result.ts';
import type { ServerMessage } from '../../protocol/messages.ts';
import { Connection } from './connection.ts';

/** Wires the terminal dock and the steps of a chapter page to the local server. */
export function startTutorialPage(): void {
  const dock = document.querySelector<HTMLElement>('.terminal-dock');
  const screen = dock?.querySelector<HTMLElement>('.terminal-dock__screen');
  const status = dock?.querySelector<HTMLElement>('.terminal-dock__status');
  if (!dock || !screen || !status) return;
  document.documentElement.toggleAttribute('data-has-terminal', true);
  const chapter = dock.dataset.chapter ?? '';

  const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 13, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fit.fit();

  const conn = new Connection({
    onOutput(bytes, done) {
      term.write(bytes, done);
    },
    onMessage(message) {
      handle(message);
    },
    onState(state) {
      status.textContent = state === 'open' ? 'Connected' : state === 'connecting' ? 'Connecting…' : 'Connection to the tutorial server lost. Reconnecting…';
      dock.dataset.connection = state;
    },
  });

  function handle(message: ServerMessage): void {
    switch (message.type) {
      case 'attached':
        term.reset();
        if (message.replay) term.write(message.replay);
        break;
      case 'exit':
        term.write(`\r\n[The shell ended with status ${message.exitCode}. It starts again when you reload the page.]\r\n`);
        break;
      case 'command-started':
        setStepState(message.step, 'running');
        break;
      case 'command-ended':
        break;
      case 'check-started':
        setStepState(message.step, 'checking');
        break;
      case 'check-result':
        showResult(message.step, message.result);
        break;
      case 'progress': {
        const steps = message.progress[chapter] ?? {};
        for (const [id, p] of Object.entries(steps)) {
          setStepState(id, p.state);
          if (p.result) showResult(id, p.result, false);
        }
        break;
      }
      case 'stack-status':
      case 'chapter-run':
        break;
      case 'error':
        status.textContent = message.message;
        break;
      default: {
        const unhandled: never = message;
        throw new Error(`Unhandled server message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  term.onData((data) => conn.send({ type: 'input', data }));
  term.onResize(({ cols, rows }) => conn.send({ type: 'resize', cols, rows }));
  new ResizeObserver(() => fit.fit()).observe(screen);
  conn.whenOpen(() => conn.send({ type: 'attach', chapter, cols: term.cols, rows: term.rows }));
  conn.connect();

  for (const section of document.querySelectorAll<HTMLElement>('.tutorial-step')) {
    const step = section.dataset.step ?? '';
    for (const button of section.querySelectorAll<HTMLButtonElement>('.tutorial-run')) {
      button.addEventListener('click', () => {
        conn.send({ type: 'run', chapter, step, index: Number(button.dataset.index) });
        term.focus();
      });
    }
    for (const button of section.querySelectorAll<HTMLButtonElement>('.tutorial-copy')) {
      button.addEventListener('click', () => void navigator.clipboard?.writeText(button.dataset.command ?? ''));
    }
    section.querySelector<HTMLButtonElement>('.tutorial-check')?.addEventListener('click', () => {
      conn.send({ type: 'check', chapter, step });
    });
  }

  function stepSection(step: string): HTMLElement | null {
    return document.querySelector<HTMLElement>(`.tutorial-step[data-step="${CSS.escape(step)}"]`);
  }

  function setStepState(step: string, state: string): void {
    const section = stepSection(step);
    if (section) section.dataset.state = state;
  }

  function showResult(step: string, result: CheckResult, announce = true): void {
    const section = stepSection(step);
    const area = section?.querySelector<HTMLElement>('.tutorial-step__result');
    if (!section || !area) return;
    section.dataset.state = result.ok ? 'passed' : 'failed';
    area.dataset.ok = String(result.ok);
    area.replaceChildren();
    const p = document.createElement('p');
    p.className = 'tutorial-step__message';
    p.textContent = `${result.ok ? 'Passed' : 'Failed'}: ${result.message}`;
    area.append(p);
    if (!result.ok && result.hint) {
      const h = document.createElement('p');
      h.className = 'tutorial-step__hint';
      h.textContent = result.hint;
      area.append(h);
    }
    if (result.evidence.length > 0) {
      const d = document.createElement('details');
      const s = document.createElement('summary');
      s.textContent = 'Evidence';
      d.append(s);
      for (const e of result.evidence) {
        const pre = document.createElement('pre');
        pre.textContent = `${e.label}\n${e.text}`;
        d.append(pre);
      }
      area.append(d);
    }
    if (!announce) area.setAttribute('aria-live', 'polite');
  }
}
