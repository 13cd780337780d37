import type { ErrorCode } from '../../protocol/errors.ts';

/** A request about sessions that cannot be carried out; `code` is stable, the message a full sentence. */
export class SessionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when a command is typed into a shell that is still busy with another. */
export class ShellBusyError extends SessionError {
  constructor() {
    super(
      'shell-busy',
      'The shell is still busy with another command. Wait for it to finish, or press Ctrl-C in the terminal, then try again.',
    );
  }
}

/** Thrown when one more shell would pass the limit. */
export class SessionLimitError extends SessionError {
  constructor(max: number) {
    super(
      'too-many-sessions',
      `The tutorial server already runs ${max} shells, its limit. Close other tutorial tabs, or restart the server.`,
    );
  }
}
