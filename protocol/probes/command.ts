import { z } from 'zod';
import { probeBase } from './common.ts';

/** Runs a command (without a terminal) in the learner's workspace and looks at how it ended. */
export const commandProbe = z.strictObject({
  kind: z.literal('command'),
  /** The command line, run by `bash -lc` in the workspace folder. */
  run: z.string().min(1),
  /** Exit status that counts as a pass. */
  exit: z.number().int().default(0),
  /** A regular expression that the output (stdout and stderr together) must match. */
  output: z.string().optional(),
  /** A regular expression that the output must not match. */
  notOutput: z.string().optional(),
  ...probeBase,
});
export type CommandProbe = z.output<typeof commandProbe>;
