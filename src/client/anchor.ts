/**
 * A link to a step (`/chapters/x/#step-y-title` from search, `#y` from the progress page) must
 * land on it and stay there. The browser scrolls once, at load, but the page goes on growing above
 * the step afterwards (the panel of what is missing, each step's state and buttons, fonts), which
 * left the step thousands of pixels down. So the target is put back at the top each time the
 * layout changes, until the learner scrolls, clicks or types: from then on the page is theirs.
 */
export function keepLinkTargetInView(): void {
  let target: HTMLElement | null = null;
  const find = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    target = id ? document.getElementById(id) : null;
  };
  const pin = () => target?.scrollIntoView({ block: 'start' });
  const release = () => {
    target = null;
  };
  find();
  addEventListener('hashchange', () => {
    find();
    pin();
  });
  for (const type of ['wheel', 'touchstart', 'pointerdown', 'keydown'] as const)
    addEventListener(type, release, { capture: true, passive: true });
  new ResizeObserver(pin).observe(document.body);
}
