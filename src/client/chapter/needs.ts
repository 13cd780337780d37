import type { NeedStatus, ServerMessage } from '../../../protocol/messages.ts';
import { confirmDialog } from '../dialog.ts';
import { showDock } from '../dock.ts';
import { announce, codeSpans, el } from '../dom.ts';
import type { Notice } from './notice.ts';
import { stepName, stepSection } from './step-state.ts';

type CatchUpMessage = Extract<ServerMessage, { type: 'catch-up' }>;

/** What the chapter needs from earlier chapters, on the page: the panel, and the catch-up. */
export interface ChapterNeeds {
  /** Asks the server which needs are in place in this workspace (when the page attaches, after a catch-up). */
  ask(): void;
  /** The server's answer: the panel lists what is missing, or goes away. */
  show(needs: NeedStatus[]): void;
  /**
   * Catches up: what the chapter lacks from earlier chapters, then its own steps up to and
   * including `upTo` (none without it), after a preview of every command. How it goes is shown
   * where it was asked for: in the panel, or beside the step's "Catch me up to here".
   */
  catchUp(upTo?: string): Promise<void>;
  /** How a catch-up goes (the server's `catch-up`). */
  progress(m: CatchUpMessage): void;
}

/** "2 steps", "1 step from an earlier chapter", "3 steps, 1 of them from an earlier chapter". */
function count(n: number, fromEarlier: number): string {
  const steps = `${n} step${n === 1 ? '' : 's'}`;
  const earlier = fromEarlier === 1 ? 'an earlier chapter' : 'earlier chapters';
  if (fromEarlier === 0) return steps;
  return fromEarlier === n ? `${steps} from ${earlier}` : `${steps}, ${fromEarlier} of them from ${earlier}`;
}

/** A step to run in a catch-up, for the preview and the status line. */
interface Planned {
  /** "“Create the Python environment” from “Before you start”" or "Step 2, Find the note". */
  name: string;
  commands: string[];
}

/** Wires the needs panel (src/components/NeedsPanel.astro; null on a chapter that needs nothing) and the catch-up. */
export function chapterNeeds(
  panel: HTMLElement | null,
  sections: HTMLElement[],
  o: { chapter: string; dock: HTMLElement; notice: Notice; whenAttached(f: () => void): void },
): ChapterNeeds {
  const { chapter, notice } = o;
  const items = [...(panel?.querySelectorAll<HTMLElement>('.needs-panel__need') ?? [])];
  const missing = new Set<string>();
  /** Resolves the catch-ups that wait for the server to say what is missing. */
  let waiting: (() => void)[] = [];
  let known = items.length === 0;
  /** The line that shows how the current (or last) catch-up goes. */
  let status: HTMLElement | undefined;
  let running = false;

  const needName = (item: HTMLElement) => `“${item.dataset.title ?? ''}” from “${item.dataset.chapterTitle ?? ''}”`;

  function ask(): void {
    if (items.length > 0) o.whenAttached(() => notice.send({ type: 'needs', chapter }));
  }

  function show(needs: NeedStatus[]): void {
    if (!panel) return;
    missing.clear();
    for (const n of needs) if (!n.ok) missing.add(`${n.chapter}/${n.step}`);
    for (const item of items) {
      const need = needs.find((n) => `${n.chapter}/${n.step}` === item.dataset.need);
      item.hidden = !need || need.ok;
      const why = item.querySelector('.needs-panel__why');
      if (why) why.replaceChildren(...codeSpans(need?.message ?? ''));
    }
    const nothingMissing = missing.size === 0;
    // Everything but the catch-up's own line follows what is missing: once nothing is, the panel
    // says neither "Missing from earlier chapters" nor offers a catch-up beside "you are caught up".
    for (const part of panel.querySelectorAll<HTMLElement>(
      '.needs-panel__title, .needs-panel__intro, .needs-panel__list, .needs-panel__actions',
    ))
      part.hidden = nothingMissing;
    // A catch-up started here keeps the panel open to say how it ended.
    const statusHere = status !== undefined && panel.contains(status) && !status.hidden;
    panel.hidden = nothingMissing && !statusHere;
    known = true;
    for (const f of waiting) f();
    waiting = [];
  }

  /** What the server last said is missing, asked again when it has not said yet. */
  async function missingNow(): Promise<void> {
    if (known) return;
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      ask();
    });
  }

  function plan(upTo?: string): Planned[] {
    const needs = items
      .filter((item) => missing.has(item.dataset.need ?? ''))
      .map((item) => ({ name: needName(item), commands: JSON.parse(item.dataset.commands ?? '[]') as string[] }));
    const last = upTo === undefined ? -1 : sections.findIndex((s) => s.dataset.step === upTo);
    const own = sections.slice(0, last + 1).map((s) => ({
      name: stepName(s),
      commands: [...s.querySelectorAll('.tutorial-step__command code')].map((c) => c.textContent ?? ''),
    }));
    return [...needs, ...own];
  }

  /** The status line for a catch-up asked for here: the panel's, or one beside the step's button. */
  function statusFor(upTo?: string): HTMLElement | undefined {
    if (upTo === undefined) return panel?.querySelector<HTMLElement>('.needs-panel__status') ?? undefined;
    const section = stepSection(upTo);
    if (!section) return undefined;
    let line = section.querySelector<HTMLElement>('.catch-up-status');
    if (!line) {
      line = el('p', 'catch-up-status');
      line.setAttribute('role', 'status');
      section.querySelector('.tutorial-step__actions')?.after(line);
    }
    return line;
  }

  function say(text: string | Node[], state: CatchUpMessage['state']): void {
    if (!status) return;
    status.hidden = false;
    status.dataset.state = state;
    status.replaceChildren(...(typeof text === 'string' ? [text] : text));
    if (panel?.contains(status)) panel.hidden = false;
  }

  function setRunning(on: boolean): void {
    running = on;
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-action="catch-up-needs"], .tutorial-catch-up')) b.disabled = on;
  }

  async function catchUp(upTo?: string): Promise<void> {
    if (running) return;
    await missingNow();
    const steps = plan(upTo);
    if (steps.length === 0) return;
    const list = el('ol', 'tutorial-dialog__steps');
    for (const s of steps) {
      const item = el('li');
      item.append(el('p', 'tutorial-dialog__step-title', s.name));
      if (s.commands.length === 0) item.append(el('p', 'tutorial-dialog__none', 'No command: only its check runs.'));
      for (const c of s.commands) item.append(el('pre', undefined, c));
      list.append(item);
    }
    const n = steps.length;
    const fromEarlier = steps.length - (upTo === undefined ? 0 : sections.findIndex((s) => s.dataset.step === upTo) + 1);
    const ok = await confirmDialog({
      title:
        upTo === undefined
          ? 'Catch up with the earlier chapters?'
          : `Catch up to step ${sections.findIndex((s) => s.dataset.step === upTo) + 1}?`,
      body: [
        el(
          'p',
          undefined,
          `These commands are typed into this chapter's terminal, in order, each once the one before has ended, exactly as if you had pressed Run on each (${count(n, fromEarlier)}). After each step its check runs; the catch-up stops at the first step whose check fails.`,
        ),
        list,
      ],
      confirm: `Run ${n} step${n === 1 ? '' : 's'}`,
    });
    if (!ok) return;
    status = statusFor(upTo);
    notice.clear();
    showDock(o.dock);
    setRunning(true);
    say('Starting the catch-up…', 'running');
    o.whenAttached(() => {
      if (!notice.send(upTo === undefined ? { type: 'catch-up', chapter } : { type: 'catch-up', chapter, upTo })) {
        setRunning(false);
        say('This page is not connected to the tutorial server right now; it reconnects by itself. Try again in a moment.', 'failed');
      }
    });
  }

  /** How the step of a catch-up message is named: a need of an earlier chapter, or a step of this one. */
  function nameOf(at: CatchUpMessage['at']): string {
    if (!at) return 'the catch-up';
    if (at.chapter === chapter) {
      const section = stepSection(at.step);
      return section ? stepName(section) : at.step;
    }
    const item = items.find((i) => i.dataset.need === `${at.chapter}/${at.step}`);
    return item ? needName(item) : `${at.chapter}/${at.step}`;
  }

  function progress(m: CatchUpMessage): void {
    if (m.chapter !== chapter) return;
    // Another tab's catch-up: show it in the panel.
    status ??= statusFor();
    switch (m.state) {
      case 'running':
        setRunning(true);
        say(m.at ? `Running ${nameOf(m.at)} (${m.position} of ${m.total})…` : 'Looking at what is missing…', 'running');
        return;
      case 'passed': {
        say(m.total ? `Done: you are caught up (${m.total} step${m.total === 1 ? '' : 's'} passed).` : 'Nothing was missing.', 'passed');
        // Every need that was missing has just passed its check: the panel says so at once (the
        // server's answer to the `needs` asked below confirms it).
        const passed = items.map((item) => {
          const [of = '', id = ''] = (item.dataset.need ?? '').split('/');
          return { chapter: of, step: id, ok: true, message: '' };
        });
        show(passed);
        break;
      }
      case 'stopped':
        say(`Stopped before ${nameOf(m.at)} was done, as you asked.`, 'stopped');
        break;
      case 'failed': {
        const parts: Node[] = [
          document.createTextNode(`Stopped at ${nameOf(m.at)}: `),
          ...codeSpans(m.result?.message ?? 'its check failed.'),
        ];
        if (m.result?.hint) parts.push(document.createTextNode(' '), ...codeSpans(m.result.hint));
        say(parts, 'failed');
        break;
      }
    }
    setRunning(false);
    announce(status?.textContent ?? '');
    ask();
  }

  panel?.querySelector<HTMLButtonElement>('[data-action="catch-up-needs"]')?.addEventListener('click', () => void catchUp());
  return { ask, show, catchUp, progress };
}
