import type { ErrorCode } from '../../protocol/errors.ts';
import type { RunRefusal } from './run-words.ts';

/** A request the page made that cannot be carried out; the message is a full sentence. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A Run that was not typed, because the prompt line was not empty (sent to the page as `run-refused`). */
export class RunRefusedError extends RequestError {
  constructor(
    readonly refusal: RunRefusal,
    /** The command that was not typed. */
    readonly index: number,
  ) {
    super(refusal.reason === 'busy' || refusal.reason === 'still-busy' ? 'shell-busy' : 'line-not-empty', refusal.message);
  }
}
