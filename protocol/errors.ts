import * as z from 'zod';

/**
 * Every error code the server sends the page in `{ type: 'error', code, message }`. The code is
 * stable, for the page and the tests to act on; the message is a full sentence for the learner.
 */
export const ErrorCodeSchema = z.enum([
  // The page's messages (server/web/page-socket.ts).
  /** A frame that is binary, not JSON, or not a message of the protocol. */
  'bad-message',
  /** The page sent more messages than the server takes in a second; some were dropped. */
  'rate-limited',
  /** A terminal message from a page that has not sent `attach` yet. */
  'not-attached',
  /** A bug in the server; its console has the stack. */
  'internal',
  // Terminal sessions (server/terminal/).
  /** The chapter's terminal was opened in another tab, which took it over. */
  'taken-over',
  /** One more shell would pass the server's limit. */
  'too-many-sessions',
  /** The shell has ended; a reload starts a new one. */
  'shell-ended',
  /** The server is shutting down. */
  'server-closing',
  /** The shell is still busy with another command. */
  'shell-busy',
  /** A new shell could not start: the disk that holds the state folder is full (the message names it and `df -h`). */
  'disk-full',
  /** A new shell could not start: its folder, or one above it, can be changed by another user. */
  'unsafe-folder',
  // Steps and chapters (server/tutorial/step-controller.ts).
  'unknown-chapter',
  'unknown-step',
  /** The step has no command with that index. */
  'unknown-command',
  /** The chapter has no shell to type into yet. */
  'no-shell',
  /** The learner has typed on the prompt line; a command typed after it would run as something else. */
  'line-not-empty',
  /** The chapter is already being run for the learner. */
  'already-running',
  /** A command the tutorial typed did not finish in time and was interrupted. */
  'command-timeout',
  // Progress (server/tutorial/progress.ts).
  /** The progress file could not be written (a full disk); the server keeps it in memory. */
  'progress-not-saved',
  /** The progress file was found damaged while the server ran; it was set aside and what was readable kept. */
  'progress-set-aside',
  /** The shell ran something else than the command the tutorial typed (or nothing). */
  'not-as-written',
]);
export type ErrorCode = z.output<typeof ErrorCodeSchema>;
