import type { ClientMessage } from '../../../protocol/messages.ts';
import type { Connection } from '../connection.ts';

/** The line above the terminal that says what could not be done, and how to go on. */
export interface Notice {
  /** The line's element (the taken-over error adds a button to it). */
  readonly element: HTMLElement;
  say(text: string): void;
  clear(): void;
  /** Sends a message to the server, or says that the page is not connected and returns false. */
  send(message: ClientMessage): boolean;
}

export function dockNotice(dock: HTMLElement, conn: Connection): Notice {
  const element = dock.querySelector<HTMLElement>('.terminal-dock__message')!;
  const notice: Notice = {
    element,
    say(text) {
      element.textContent = text;
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.replaceChildren();
    },
    send(message) {
      if (conn.send(message)) return true;
      notice.say('This page is not connected to the tutorial server right now; it reconnects by itself. Try again in a moment.');
      return false;
    },
  };
  return notice;
}
