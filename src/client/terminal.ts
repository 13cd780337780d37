import { FitAddon } from '@xterm/addon-fit';
import { type ITheme, Terminal } from '@xterm/xterm';

/** ANSI colours chosen for contrast on each theme's background (see --term-* in src/styles/terminal-dock.css). */
const PALETTES: Record<'dark' | 'light', ITheme> = {
  dark: {
    black: '#3b4048',
    red: '#ef7b7b',
    green: '#8fcf7f',
    yellow: '#e5c07b',
    blue: '#6cb6ff',
    magenta: '#d19cf0',
    cyan: '#5fd1d6',
    white: '#d5d9e0',
    brightBlack: '#7f8794',
    brightRed: '#ff9b9b',
    brightGreen: '#a8e39a',
    brightYellow: '#f2d59b',
    brightBlue: '#96ccff',
    brightMagenta: '#e2bbf7',
    brightCyan: '#8ce6ea',
    brightWhite: '#ffffff',
  },
  light: {
    black: '#24292f',
    red: '#c0272d',
    green: '#1a7f37',
    yellow: '#8a6100',
    blue: '#0a5bd3',
    magenta: '#8250df',
    cyan: '#1b7c83',
    white: '#6e7781',
    brightBlack: '#57606a',
    brightRed: '#a40e26',
    brightGreen: '#116329',
    brightYellow: '#6f4b00',
    brightBlue: '#0548a8',
    brightMagenta: '#6639ba',
    brightCyan: '#135f65',
    brightWhite: '#8c959f',
  },
};

/** The site's theme as Starlight sets it on <html data-theme>. */
function siteTheme(): 'dark' | 'light' {
  return document.documentElement.dataset.theme === 'light' ? 'light' : 'dark';
}

function themeFor(el: HTMLElement): ITheme {
  const css = getComputedStyle(el);
  const v = (name: string) => css.getPropertyValue(name).trim() || undefined;
  return {
    ...PALETTES[siteTheme()],
    background: v('--term-bg'),
    foreground: v('--term-fg'),
    cursor: v('--term-cursor'),
    cursorAccent: v('--term-bg'),
    selectionBackground: v('--term-selection'),
  };
}

export interface TutorialTerminal {
  term: Terminal;
  /** Fits the terminal to its box on the next animation frame; a hidden (collapsed) dock is left as it is. */
  fit(): void;
}

/**
 * Which renderer draws the terminal. The DOM renderer is the default: it draws the text at every
 * devicePixelRatio, with or without a GPU. The WebGL renderer drew nothing in Chromium without a
 * GPU at devicePixelRatio 2, and clipped double-size text at 390 px, so it is only an opt-in
 * (localStorage `tutorial-renderer` set to `webgl`, for long floods of output on a machine with
 * a working GPU), and the terminal goes back to the DOM renderer when WebGL fails or loses its
 * context.
 */
function chosenRenderer(): 'dom' | 'webgl' {
  return localStorage.getItem('tutorial-renderer') === 'webgl' ? 'webgl' : 'dom';
}

/**
 * Opens xterm.js in `screen`, fitted to its box and following the site's light/dark theme, drawn
 * by the renderer of `chosenRenderer()`. `screen.dataset.renderer` says which one draws.
 */
export function openTerminal(screen: HTMLElement): TutorialTerminal {
  const term = new Terminal({
    cursorBlink: true,
    fontSize: 13,
    lineHeight: 1.15,
    // Only fonts already on the machine: nothing is fetched.
    fontFamily: 'ui-monospace, "SFMono-Regular", "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace',
    scrollback: 5000,
    theme: themeFor(screen),
    allowProposedApi: false,
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.open(screen);
  screen.dataset.renderer = 'dom';

  let frame = 0;
  const fit = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      // A hidden (collapsed) dock has no size; fitting it would shrink the shell to 2 columns.
      if (screen.clientWidth > 0 && screen.clientHeight > 0) fitAddon.fit();
    });
  };
  fitAddon.fit();
  new ResizeObserver(fit).observe(screen);

  new MutationObserver(() => {
    term.options.theme = themeFor(screen);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  if (chosenRenderer() === 'webgl') void loadWebgl(term, screen);
  return { term, fit };
}

async function loadWebgl(term: Terminal, screen: HTMLElement): Promise<void> {
  try {
    const { WebglAddon } = await import('@xterm/addon-webgl');
    const webgl = new WebglAddon();
    webgl.onContextLoss(() => {
      // The GPU went away (driver reset, too many contexts): back to the DOM renderer.
      webgl.dispose();
      screen.dataset.renderer = 'dom';
    });
    term.loadAddon(webgl);
    screen.dataset.renderer = 'webgl';
  } catch {
    // No WebGL2 here: the DOM renderer already draws the terminal.
    screen.dataset.renderer = 'dom';
  }
}
