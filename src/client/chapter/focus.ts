import { showDock } from '../dock.ts';

/** Links from a step to the terminal (in src/components/Step.astro). */
const TO_TERMINAL = '.tutorial-to-terminal';

/**
 * The keyboard's way into the terminal and back out. xterm keeps Tab for the shell, so F6 leaves
 * the terminal, to where the learner came from (the element that had the focus before the
 * terminal, such as the step's Run), and F6 there goes back into the terminal. Each step has a
 * link to the terminal right after its commands ("Go to the terminal", shown when it has the
 * focus), so the way from a Run to the terminal is a few keys, not every link of the page.
 */
export function terminalFocus(dock: HTMLElement, focusTerminal: () => void): { leave(): void } {
  /** Where F6 in the terminal goes: the element focused before the terminal. */
  let cameFrom: HTMLElement | undefined;
  /** The Run that last had the focus: where a learner who took a step's link to the terminal came from. */
  let lastRun: HTMLElement | undefined;
  const isTerminal = (n: EventTarget | null) =>
    n instanceof HTMLElement && dock.contains(n) && n.classList.contains('xterm-helper-textarea');

  document.addEventListener('focusin', (e) => {
    const t = e.target;
    if (t instanceof HTMLElement && t.classList.contains('tutorial-run')) lastRun = t;
    const from = e.relatedTarget;
    if (!isTerminal(t) || !(from instanceof HTMLElement) || dock.contains(from)) return;
    const link = from.closest<HTMLElement>(TO_TERMINAL);
    const run = link && lastRun && link.closest('.tutorial-step')?.contains(lastRun) ? lastRun : undefined;
    cameFrom = run ?? from;
  });
  for (const link of document.querySelectorAll<HTMLAnchorElement>(TO_TERMINAL)) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      showDock(dock);
      focusTerminal();
    });
  }
  // The second F6: back into the terminal from where the first one left it.
  document.addEventListener('keydown', (e) => {
    // The F6 that left the terminal bubbles up here too, once the focus has already left.
    if (e.key !== 'F6' || isTerminal(e.target) || !cameFrom || document.activeElement !== cameFrom) return;
    e.preventDefault();
    showDock(dock);
    focusTerminal();
  });

  return {
    leave() {
      const back = cameFrom?.isConnected && cameFrom.offsetParent !== null ? cameFrom : undefined;
      (back ?? dock.querySelector<HTMLElement>('.terminal-dock__toggle'))?.focus();
    },
  };
}
