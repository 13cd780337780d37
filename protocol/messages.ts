import * as z from 'zod';
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
  /**
   * It resumes the shell when the unacknowledged bytes fall under this: half the window, so the
   * page still has output to write while the shell's next output comes (at 32 KiB the page's
   * terminal ran dry and waited after every pause; wetty resumes at a quarter of its window).
   */
  lowWater: 128 * 1024,
  /** The page sends an ack after writing this many bytes (must not exceed lowWater). */
  ackEvery: 16 * 1024,
} as const;

/** The largest frame the server accepts from a page, in bytes. */
export const MAX_CLIENT_FRAME = 64 * 1024;

const cols = z.number().int().min(2).max(1000);
const rows = z.number().int().min(1).max(500);

export const ClientMessageSchema = z.discriminatedUnion('type', [
  /**
   * Attach this socket to a chapter's shell (started if needed); the reply is `attached`. With
   * `ifFree` (a tab the shell was taken from, reconnecting) a shell that another tab holds is not
   * taken: the reply is the `taken-over` error, and `terminal-free` follows when that tab lets it go.
   */
  z.strictObject({ type: z.literal('attach'), chapter: IdSchema, cols, rows, ifFree: z.boolean().optional() }),
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
  /**
   * Type the step's command number `index` into the chapter's shell. With `clear`, empty the
   * prompt line first (Ctrl-C: text on it, a completion question, a running command); without,
   * a line that is not empty refuses the run (`run-refused`).
   */
  z.strictObject({
    type: z.literal('run'),
    chapter: IdSchema,
    step: IdSchema,
    index: z.number().int().min(0).max(100),
    clear: z.boolean().optional(),
  }),
  /**
   * Type the step's commands from number `from` (default 0) on, each after the previous one
   * ended well, then run its check (`clear` as for `run`).
   */
  z.strictObject({
    type: z.literal('run-step'),
    chapter: IdSchema,
    step: IdSchema,
    from: z.number().int().min(0).max(100).optional(),
    clear: z.boolean().optional(),
  }),
  /** Run the step's check now. */
  z.strictObject({ type: z.literal('check'), chapter: IdSchema, step: IdSchema }),
  /** Run every step of the chapter (up to and including `upTo`, when given), stopping at the first failure (`clear` as for `run`). */
  z.strictObject({ type: z.literal('run-chapter'), chapter: IdSchema, upTo: IdSchema.optional(), clear: z.boolean().optional() }),
  /** Stop a running `run-chapter`. */
  z.strictObject({ type: z.literal('stop-chapter'), chapter: IdSchema }),
  /** Forget the progress of a chapter. */
  z.strictObject({ type: z.literal('reset'), chapter: IdSchema }),
  /** Which of the chapter's needs (steps of earlier chapters) are in place now; the reply is `needs`. */
  z.strictObject({ type: z.literal('needs'), chapter: IdSchema }),
  /**
   * Run the chapter's missing needs, then its steps up to and including `upTo` (when given), in
   * the chapter's shell, stopping at the first failure; `stop-chapter` stops it.
   */
  z.strictObject({ type: z.literal('catch-up'), chapter: IdSchema, upTo: IdSchema.optional() }),
]);
export type ClientMessage = z.output<typeof ClientMessageSchema>;

/**
 * A step's stored state. `stale` is never stored: the snapshot reports it for a step reached with
 * other content. While a check runs the page shows "checking" (`check-started`), not stored either.
 * `running` lasts while one of its commands runs; `in-progress` is a step with some of its
 * commands done and none running.
 */
export const StepStateSchema = z.enum(['not-started', 'running', 'passed', 'failed', 'stale', 'in-progress']);
export type StepState = z.output<typeof StepStateSchema>;

/** How far the step's commands have come in this attempt (an attempt starts with its first command). */
export const CommandProgressSchema = z.object({
  /** The indexes of the commands that ran as written and ended well, in this attempt. */
  done: z.array(z.number().int().min(0)),
  /** How many commands the step has. */
  total: z.number().int().min(0),
  /** The command that runs now. */
  running: z.number().int().min(0).optional(),
});
export type CommandProgress = z.output<typeof CommandProgressSchema>;

export const StepProgressSchema = z.object({
  state: StepStateSchema,
  /** ISO time of the last change. */
  at: z.string().optional(),
  result: CheckResultSchema.optional(),
  /** The step's commands in this attempt. */
  commands: CommandProgressSchema.optional(),
  /** The shell the step's commands ran in (its id, as in `attached`): a later shell lacks what they set. */
  shell: z.string().optional(),
  /** The attempt's marker (TUTORIAL_MARKER of its commands), so `npm run check` can check the same attempt. */
  marker: z.string().optional(),
  /** When the attempt's first command was typed (ms since the epoch). */
  startedAt: z.number().optional(),
});
export type StepProgress = z.output<typeof StepProgressSchema>;

/** Progress of every chapter: chapter id → step id → progress. */
export const ProgressSnapshotSchema = z.record(z.string(), z.record(z.string(), StepProgressSchema));
export type ProgressSnapshot = z.output<typeof ProgressSnapshotSchema>;

/** One step of an earlier chapter that a chapter needs, and whether its check passes now. */
export const NeedStatusSchema = z.object({
  chapter: z.string(),
  step: z.string(),
  ok: z.boolean(),
  /** What its check found, a full sentence. */
  message: z.string(),
});
export type NeedStatus = z.output<typeof NeedStatusSchema>;

export const ServiceStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `other`: something answers at the service's address, but not the service (another program holds the port). */
  state: z.enum(['up', 'down', 'other', 'unknown']),
  /** Where its own UI is, when it has one (in a workshop: a path through the learner's Jupyter server). */
  url: z.string().optional(),
  /**
   * The UI's first page under `url`, when that is not `url` itself: Kibana's /app/home, since its
   * redirect from / carries its base path, which jupyter-server-proxy would add a second time.
   */
  home: z.string().optional(),
  detail: z.string().optional(),
});
export type ServiceStatus = z.output<typeof ServiceStatusSchema>;

export const ServerMessageSchema = z.discriminatedUnion('type', [
  /** The socket is attached; `replay` is the earlier output of the shell to write first; `shell` is the shell's id. */
  z.object({ type: z.literal('attached'), chapter: z.string(), replay: z.string(), shell: z.string().optional() }),
  /** The tab that took this tab's shell has let it go (it closed): this tab may take it back. */
  z.object({ type: z.literal('terminal-free'), chapter: z.string() }),
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
  /**
   * A Run (or Run all) was not typed, because the prompt line was not empty: `reason` says what
   * holds it (`line` shows it), `message` says so in a full sentence, and with `clear: true` the
   * same request empties the line first (Clear the line and run, or Interrupt it and run).
   */
  z.object({
    type: z.literal('run-refused'),
    /** What was asked: the same request with `clear: true` (and `from: index` for run-step) empties the line first. */
    request: z.enum(['run', 'run-step', 'run-chapter']),
    chapter: z.string(),
    step: z.string(),
    /** The command that was not typed. */
    index: z.number(),
    /** The `upTo` of a run-chapter. */
    upTo: z.string().optional(),
    reason: z.enum(['text', 'elsewhere', 'busy', 'starting', 'still-busy']),
    message: z.string(),
    line: z.string().optional(),
    /** The words of the button that sends the request again with `clear: true`; absent when there is none. */
    clear: z.string().optional(),
  }),
  /** About this server, sent when a page connects: the command that starts it again as it runs now (port, workspace). */
  z.object({ type: z.literal('server-info'), restart: z.string() }),
  /** The chapter's needs, each with whether it is in place now (the answer to `needs`). */
  z.object({ type: z.literal('needs'), chapter: z.string(), needs: z.array(NeedStatusSchema) }),
  /** How a catch-up of the chapter goes: each step as it starts, then how it ended. */
  z.object({
    type: z.literal('catch-up'),
    chapter: z.string(),
    state: z.enum(['running', 'passed', 'failed', 'stopped']),
    /** The step that runs now, or where it stopped: a need of an earlier chapter or a step of this one. */
    at: z.object({ chapter: z.string(), step: z.string() }).optional(),
    /** Its place in the catch-up: step `position` of `total`. */
    position: z.number().int().optional(),
    total: z.number().int().optional(),
    /** Why it stopped, when it failed: the step's check result, or why a command could not be typed. */
    result: CheckResultSchema.optional(),
  }),
  /** Something the page asked for could not be done; `code` is stable (protocol/errors.ts), `message` a full sentence. */
  z.object({ type: z.literal('error'), code: ErrorCodeSchema, message: z.string() }),
]);
export type ServerMessage = z.output<typeof ServerMessageSchema>;
