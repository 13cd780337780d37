import type { ServerMessage } from '../../../protocol/messages.ts';
import type { Connection, ConnectionState } from '../connection.ts';
import { dockLayout } from '../dock.ts';
import { OutputWriter } from '../output-writer.ts';
import { openTerminal } from '../terminal.ts';
import { terminalFocus } from './focus.ts';

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
  /** Asks the server to attach this page to the chapter's shell (started if needed), taking it from another tab. */
  attach(): void;
  /** Another tab uses the shell now: this one says "Detached", sends no keys, and does not take it back by itself. */
  detach(): void;
  /** True while another tab uses the shell. */
  readonly detached: boolean;
  /** The command that starts the tutorial server again as it ran: the overlay shows it while the server is away. */
  restartCommand(command: string): void;
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
 * in pieces), resizes, the attach on every (re)connect, the replay, the shell's end, and a tab
 * that another tab took the shell from. `hooks` hear a key typed in a detached tab and an
 * attach to another shell than before (the server restarted, or the shell ended).
 */
export function chapterShell(
  dock: HTMLElement,
  conn: Connection,
  chapter: string,
  hooks: { detachedKey(): void; newShell(): void } = { detachedKey() {}, newShell() {} },
): ChapterShell {
  const screen = dock.querySelector<HTMLElement>('.terminal-dock__screen')!;
  const status = dock.querySelector<HTMLElement>('.terminal-dock__status')!;
  const lost = dock.querySelector<HTMLElement>('.terminal-dock__lost')!;
  document.documentElement.toggleAttribute('data-has-terminal', true);

  const { term, fit: refit } = openTerminal(screen);
  dockLayout(dock, refit);
  // Frames that come while xterm still parses go in together (see OutputWriter).
  const writer = new OutputWriter((data, done) => term.write(data, done));
  let shellEnded = false;
  // Run needs the chapter's shell, which exists once the server has attached this page to it:
  // a click that comes earlier (right after loading) waits for that instead of being refused.
  let isAttached = false;
  let pending: (() => void)[] = [];
  let detached = false;
  /** The shell this page was last attached to. */
  let shellId: string | undefined;
  let connState: ConnectionState = 'connecting';

  const showStatus = () => {
    status.textContent = detached && connState === 'open' ? 'Detached' : CONNECTION_TEXT[connState];
  };
  const attach = () => {
    detached = false;
    delete dock.dataset.detached;
    showStatus();
    conn.send({ type: 'attach', chapter, cols: term.cols, rows: term.rows });
  };

  // F6 leaves the terminal (xterm keeps Tab for the shell, so without it keyboard focus is trapped),
  // back to where the learner came from; F6 there comes back (focus.ts).
  const focus = terminalFocus(dock, () => term.focus());
  term.attachCustomKeyEventHandler((e) => {
    if (e.key === 'F6' && e.type === 'keydown') {
      focus.leave();
      return false;
    }
    return true;
  });
  term.onData((data) => {
    if (detached) {
      // The keys would go nowhere: say where the terminal is and how to get it back.
      hooks.detachedKey();
      return;
    }
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
  term.onResize(({ cols, rows }) => {
    if (isAttached) conn.send({ type: 'resize', cols, rows });
  });
  // On every (re)connect. A tab that gave the shell away asks for it only if no other tab holds
  // it: after a server restart there is a new shell, and nobody holds that yet.
  conn.whenOpen(() => {
    if (!detached) attach();
    else conn.send({ type: 'attach', chapter, cols: term.cols, rows: term.rows, ifFree: true });
  });

  return {
    output(bytes, done) {
      writer.push(bytes, done);
    },
    attach,
    detach() {
      detached = true;
      isAttached = false;
      delete dock.dataset.attached;
      dock.dataset.detached = 'true';
      showStatus();
    },
    get detached() {
      return detached;
    },
    restartCommand(command) {
      const code = lost.querySelector('code');
      if (code) code.textContent = command;
    },
    whenAttached(f) {
      if (isAttached) f();
      else pending.push(f);
    },
    attached(m) {
      // The screen comes back: the server replays the shell's recent output (which holds what
      // still waited for the terminal, too).
      writer.clear();
      term.reset();
      if (m.replay) term.write(m.replay);
      refit();
      isAttached = true;
      dock.dataset.attached = 'true';
      detached = false;
      delete dock.dataset.detached;
      showStatus();
      if (m.shell !== undefined) {
        if (shellId !== undefined && shellId !== m.shell) hooks.newShell();
        shellId = m.shell;
      }
      for (const f of pending) f();
      pending = [];
    },
    exited(m) {
      shellEnded = true;
      // After the output that still waits to be written.
      const note = `\r\n\x1b[2m[The shell ended with status ${m.exitCode}. Press any key to start a new one.]\x1b[0m\r\n`;
      writer.push(new TextEncoder().encode(note), () => {});
    },
    connection(state) {
      if (state !== 'open') {
        isAttached = false;
        delete dock.dataset.attached;
      }
      connState = state;
      showStatus();
      dock.dataset.connection = state;
      lost.hidden = state !== 'lost';
    },
  };
}
