/**
 * The dock's size: a drag handle (pointer or arrow keys) sets the terminal's width beside the
 * prose on wide screens and its height under it on narrow ones; a toggle hides it down to its
 * bar. Sizes are kept in localStorage so the next page opens the same way. On a phone the
 * terminal starts hidden, until the learner opens it (or a Run shows it).
 */
const WIDE = matchMedia('(min-width: 72rem)');
/** A phone, upright or on its side: too little room to read the prose with the terminal open. */
const PHONE = matchMedia('(max-width: 40rem), (max-height: 30rem)');
const KEY = { width: 'tutorial-terminal-width', height: 'tutorial-terminal-height', collapsed: 'tutorial-terminal-collapsed' };
const STEP = 32;

function stored(key: string): number | undefined {
  const n = Number(localStorage.getItem(key));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function dockLayout(dock: HTMLElement, onChange: () => void): void {
  const root = document.documentElement;
  // The terminal keeps Tab for the shell; its input says how to leave it (the dock's bar shows it too).
  dock.querySelector('.xterm-helper-textarea')?.setAttribute('aria-describedby', 'terminal-dock-keys');
  const handle = dock.querySelector<HTMLElement>('.terminal-dock__handle');
  const toggle = dock.querySelector<HTMLButtonElement>('.terminal-dock__toggle');

  const limits = () =>
    WIDE.matches
      ? { min: 320, max: Math.max(320, innerWidth - 520), axis: 'width' as const }
      : { min: 120, max: Math.max(120, innerHeight - 160), axis: 'height' as const };

  const current = () => (WIDE.matches ? dock.getBoundingClientRect().width : dock.getBoundingClientRect().height);

  const apply = (px: number | undefined, save = false) => {
    const { min, max, axis } = limits();
    if (px !== undefined) {
      const v = Math.round(Math.min(max, Math.max(min, px)));
      root.style.setProperty(`--terminal-${axis}`, `${v}px`);
      if (save) localStorage.setItem(KEY[axis], String(v));
    }
    if (handle) {
      handle.setAttribute('aria-orientation', WIDE.matches ? 'vertical' : 'horizontal');
      handle.setAttribute('aria-valuemin', String(min));
      handle.setAttribute('aria-valuemax', String(max));
      const now = Math.round(current());
      handle.setAttribute('aria-valuenow', String(now));
      handle.setAttribute('aria-valuetext', `Terminal ${axis} ${now} pixels`);
    }
    onChange();
  };

  const restore = () => {
    root.style.removeProperty('--terminal-width');
    root.style.removeProperty('--terminal-height');
    apply(stored(WIDE.matches ? KEY.width : KEY.height));
  };
  restore();
  WIDE.addEventListener('change', restore);

  if (handle) {
    handle.addEventListener('pointerdown', (ev) => {
      ev.preventDefault();
      handle.setPointerCapture(ev.pointerId);
      dock.dataset.resizing = 'true';
      const move = (e: PointerEvent) => apply(WIDE.matches ? innerWidth - e.clientX : innerHeight - e.clientY);
      const up = (e: PointerEvent) => {
        move(e);
        apply(current(), true);
        delete dock.dataset.resizing;
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
    });
    handle.addEventListener('keydown', (ev) => {
      // Arrows move the separator: left/up grow the terminal (it sits right of / below the prose).
      const grow = { ArrowLeft: STEP, ArrowUp: STEP, ArrowRight: -STEP, ArrowDown: -STEP } as Record<string, number>;
      if (ev.key in grow) {
        ev.preventDefault();
        apply(current() + (grow[ev.key] ?? 0), true);
      } else if (ev.key === 'Home' || ev.key === 'End') {
        ev.preventDefault();
        const { min, max } = limits();
        apply(ev.key === 'Home' ? min : max, true);
      }
    });
  }

  const setCollapsed = (collapsed: boolean) => {
    root.toggleAttribute('data-terminal-collapsed', collapsed);
    dock.toggleAttribute('data-collapsed', collapsed);
    if (toggle) {
      toggle.setAttribute('aria-expanded', String(!collapsed));
      // Hidden, the button is the only way to the terminal, so it says so in full.
      toggle.textContent = collapsed ? 'Show the terminal' : 'Hide';
      toggle.setAttribute('aria-label', collapsed ? 'Show the terminal' : 'Hide the terminal');
    }
    onChange();
  };
  // The learner's last choice, else hidden on a phone and shown elsewhere.
  const choice = localStorage.getItem(KEY.collapsed);
  setCollapsed(choice === null ? PHONE.matches : choice === '1');
  toggle?.addEventListener('click', () => {
    const collapsed = !dock.hasAttribute('data-collapsed');
    localStorage.setItem(KEY.collapsed, collapsed ? '1' : '0');
    setCollapsed(collapsed);
  });
}

/** Opens the dock if it was hidden (Run shows the terminal it types into). */
export function showDock(dock: HTMLElement): void {
  if (dock.hasAttribute('data-collapsed')) dock.querySelector<HTMLButtonElement>('.terminal-dock__toggle')?.click();
}
