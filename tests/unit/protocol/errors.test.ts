import { describe, expect, it } from 'vitest';
import { ErrorCodeSchema } from '../../../protocol/errors.ts';
import { ServerMessageSchema } from '../../../protocol/messages.ts';

describe('ErrorCodeSchema', () => {
  it('is the only vocabulary of the error message', () => {
    const error = (code: string) => ServerMessageSchema.safeParse({ type: 'error', code, message: 'A sentence.' }).success;
    for (const code of ErrorCodeSchema.options) expect(error(code), code).toBe(true);
    expect(error('no-such-code')).toBe(false);
  });
});
