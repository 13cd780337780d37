/** Small DOM helpers shared by the page's modules. */

/** Creates an element with a class and text (never HTML: results carry text from the machine). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Says something to screen readers through the page's one polite live region. */
export function announce(text: string): void {
  const region = document.getElementById('tutorial-announcer');
  if (!region) return;
  // Clearing first makes a repeated sentence be read again.
  region.textContent = '';
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/** Text with `backticked` parts as <code>, the way messages and hints name commands. */
export function codeSpans(text: string): Node[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? el('code', undefined, part) : document.createTextNode(part)));
}
