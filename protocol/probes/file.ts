import * as z from 'zod';
import { probeBase } from './common.ts';

/** An expected value: a scalar to equal, a list of allowed values, or a comparison. */
export const expectedValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1),
  z.strictObject({
    /** At least this number. */
    gte: z.number().optional(),
    /** More than this number. */
    gt: z.number().optional(),
    /** At most this number. */
    lte: z.number().optional(),
    /** Less than this number. */
    lt: z.number().optional(),
    /** A regular expression the value (as text) must match. */
    matches: z.string().optional(),
    /** True: the key must be present (any value); false: it must be absent. */
    exists: z.boolean().optional(),
  }),
]);
export type ExpectedValue = z.output<typeof expectedValue>;

/** Looks at a file or folder in the learner's workspace. */
export const fileProbe = z.strictObject({
  kind: z.literal('file'),
  /** The path, relative to the workspace folder unless absolute. */
  path: z.string().min(1),
  /** False: the path must not exist. */
  exists: z.boolean().default(true),
  /** What the path must be when it exists. */
  type: z.enum(['file', 'directory']).optional(),
  /**
   * True: once the step has been run, the path must have been written during its current attempt
   * (after its first command was typed), so a file left from an earlier attempt never passes a
   * Run that failed or ran as something else.
   */
  fresh: z.boolean().default(false),
  /** A regular expression (multiline) the file's text must match. */
  contains: z.string().optional(),
  /** A regular expression (multiline) the file's text must not match. */
  notContains: z.string().optional(),
  /** YAML (or JSON) keys: dotted key path (`handlers.fluent.port`, `outs.0.md5`) → expected value. */
  yaml: z.record(z.string(), expectedValue).optional(),
  /** INI keys (`.dvc/config`, `logging.ini`): `section.key` (`core.remote`) → expected value. */
  ini: z.record(z.string(), expectedValue).optional(),
  ...probeBase,
});
export type FileProbe = z.output<typeof fileProbe>;
