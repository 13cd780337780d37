import { z } from 'zod';
import { IdSchema } from './content.ts';
import { ErrorCodeSchema } from './errors.ts';
import { CheckResultSchema } from './result.ts';

/**
 * The websocket protocol between the page and the local server.
 *
 * Frames: the server sends terminal output as binary frames (raw UTF-8 bytes, to be passed to
 * `term.write(Uint8Array)`), and everything else as JSON text frames. The page sends only JSON
 * text frames. Every incoming frame is parsed with `ClientMessageSchema`.
 */

/** Flow control: the page acknowledges the bytes of output frames it has written. */
export const FLOW = {
  /** The server pauses the shell when this many bytes are sent but not yet acknowledged. */
  highWater: 256 * 1024,
  /** It resumes the shell when the unacknowledged bytes fall under this. */
  lowWater: 32 * 1024,
  /** The page sends an ack after writing this many bytes (must not exceed lowWater). */
  ackEvery: 16 * 1024,
} as const;

/** The largest frame the server accepts from a page, in bytes. */
export const MAX_CLIENT_FRAME = 64 * 1024;

const cols = z.number().int().min(2).max(1000);
const rows = z.number().int().min(1).max(500);

export const ClientMessageSchema = z.discriminatedUnion('type', [
  /** Attach this socket to a chapter's shell (started if needed); the reply is `attached`. */
  z.strictObject({ type: z.literal('attach'), chapter: IdSchema, cols, rows }),
  /** Keystrokes typed into the terminal. */
  z.strictObject({
    type: z.literal('input'),
    data: z
      .string()
      .min(1)
      .max(32 * 1024),
  }),
  z.strictObject({ type: z.literal('resize'), cols, rows }),
  /** The page has written this many more bytes of output. */
  z.strictObject({
    type: z.literal('ack'),
    bytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 * 1024),
  }),
  /** Type the step's command number `index` into the chapter's shell. */
  z.strictObject({ type: z.literal('run'), chapter: IdSchema, step: IdSchema, index: z.number().int().min(0).max(100) }),
  /** Run the step's check now. */
  z.strictObject({ type: z.literal('check'), chapter: IdSchema, step: IdSchema }),
  /** Run every step of the chapter (up to and including `upTo`, when given), stopping at the first failure. */
  z.strictObject({ type: z.literal('run-chapter'), chapter: IdSchema, upTo: IdSchema.optional() }),
  /** Stop a running `run-chapter`. */
  z.strictObject({ type: z.literal('stop-chapter'), chapter: IdSchema }),
  /** Forget the progress of a chapter. */
  z.strictObject({ type: z.literal('reset'), chapter: IdSchema }),
]);
export type ClientMessage = z.output<typeof ClientMessageSchema>;

/**
 * A step's stored state. `stale` is never stored: the snapshot reports it for a step reached with
 * other content. While a check runs the page shows "checking" (`check-started`), not stored either.
 */
export const StepStateSchema = z.enum(['not-started', 'running', 'passed', 'failed', 'stale']);
export type StepState = z.output<typeof StepStateSchema>;

export const StepProgressSchema = z.object({
  state: StepStateSchema,
  /** ISO time of the last change. */
  at: z.string().optional(),
  result: CheckResultSchema.optional(),
});
export type StepProgress = z.output<typeof StepProgressSchema>;

/** Progress of every chapter: chapter id → step id → progress. */
export const ProgressSnapshotSchema = z.record(z.string(), z.record(z.string(), StepProgressSchema));
export type ProgressSnapshot = z.output<typeof ProgressSnapshotSchema>;

export const ServiceStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `other`: something answers at the service's address, but not the service (another program holds the port). */
  state: z.enum(['up', 'down', 'other', 'unknown']),
  /** Where its own UI is, when it has one. */
  url: z.string().optional(),
  detail: z.string().optional(),
});
export type ServiceStatus = z.output<typeof ServiceStatusSchema>;

export const ServerMessageSchema = z.discriminatedUnion('type', [
  /** The socket is attached; `replay` is the earlier output of the shell to write first. */
  z.object({ type: z.literal('attached'), chapter: z.string(), replay: z.string() }),
  /** The shell ended (it is restarted on the next attach). */
  z.object({ type: z.literal('exit'), chapter: z.string(), exitCode: z.number(), signal: z.number().optional() }),
  /**
   * One step's progress changed, as stored: `running` when one of its commands is typed, `passed`
   * or `failed` with the check's result, `not-started` after a reset. One message per change.
   */
  z.object({ type: z.literal('step-progress'), chapter: z.string(), step: z.string(), progress: StepProgressSchema }),
  /** The step's check is running; its result comes in the step's next `step-progress`. */
  z.object({ type: z.literal('check-started'), chapter: z.string(), step: z.string() }),
  /** Every stored step's progress, sent once when a page connects; changes follow as `step-progress`. */
  z.object({ type: z.literal('progress'), progress: ProgressSnapshotSchema }),
  z.object({ type: z.literal('stack-status'), services: z.array(ServiceStatusSchema) }),
  z.object({
    type: z.literal('chapter-run'),
    chapter: z.string(),
    state: z.enum(['running', 'passed', 'failed', 'stopped']),
    step: z.string().optional(),
  }),
  /** Something the page asked for could not be done; `code` is stable (protocol/errors.ts), `message` a full sentence. */
  z.object({ type: z.literal('error'), code: ErrorCodeSchema, message: z.string() }),
]);
export type ServerMessage = z.output<typeof ServerMessageSchema>;
