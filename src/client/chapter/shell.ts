import type { ServerMessage } from '../../../protocol/messages.ts';
import type { Connection, ConnectionState } from '../connection.ts';
import { dockLayout } from '../dock.ts';
import { openTerminal } from '../terminal.ts';

/** Characters of terminal input per message (see MAX_CLIENT_FRAME in protocol/messages.ts). */
const INPUT_PIECE = 8 * 1024;

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  lost: 'Connection lost. Reconnecting…',
};

/** The chapter's terminal in the dock, attached to the chapter's shell on the server. */
export interface ChapterShell {
  /** Writes output bytes; `done` once they are on the screen. */
  output(bytes: Uint8Array, done: () => void): void;
  /** Asks the server to attach this page to the chapter's shell (started if needed). */
  attach(): void;
  /** Runs `f` once the page is attached to the shell (at once if it is). */
  whenAttached(f: () => void): void;
  /** The server attached the page: the screen comes back from its replay. */
  attached(m: Extract<ServerMessage, { type: 'attached' }>): void;
  /** The shell ended; the next key starts a new one. */
  exited(m: Extract<ServerMessage, { type: 'exit' }>): void;
  /** Shows the connection's state in the dock's bar; a lost connection detaches. */
  connection(state: ConnectionState): void;
}

/**
 * Opens the terminal in the dock and links it to the chapter's shell: keystrokes (a large paste
 * in pieces), resizes, the attach on every (re)connect, the replay, the shell's end.
 */
export function chapterShell(dock: HTMLElement, conn: Connection, chapter: string): ChapterShell {
  const screen = dock.querySelector<HTMLElement>('.terminal-dock__screen')!;
  const status = dock.querySelector<HTMLElement>('.terminal-dock__status')!;
  const lost = dock.querySelector<HTMLElement>('.terminal-dock__lost')!;
  document.documentElement.toggleAttribute('data-has-terminal', true);

  const { term, fit: refit } = openTerminal(screen);
  dockLayout(dock, refit);
  let shellEnded = false;
  // Run needs the chapter's shell, which exists once the server has attached this page to it:
  // a click that comes earlier (right after loading) waits for that instead of being refused.
  let isAttached = false;
  let pending: (() => void)[] = [];

  const attach = () => conn.send({ type: 'attach', chapter, cols: term.cols, rows: term.rows });

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
  conn.whenOpen(attach);

  return {
    output(bytes, done) {
      term.write(bytes, done);
    },
    attach,
    whenAttached(f) {
      if (isAttached) f();
      else pending.push(f);
    },
    attached(m) {
      // The screen comes back: the server replays the shell's recent output.
      term.reset();
      if (m.replay) term.write(m.replay);
      refit();
      isAttached = true;
      dock.dataset.attached = 'true';
      for (const f of pending) f();
      pending = [];
    },
    exited(m) {
      shellEnded = true;
      term.write(`\r\n\x1b[2m[The shell ended with status ${m.exitCode}. Press any key to start a new one.]\x1b[0m\r\n`);
    },
    connection(state) {
      if (state !== 'open') {
        isAttached = false;
        delete dock.dataset.attached;
      }
      status.textContent = CONNECTION_TEXT[state];
      dock.dataset.connection = state;
      lost.hidden = state !== 'lost';
    },
  };
}
