import * as z from 'zod';
import { probeBase } from './common.ts';

/** Runs a command (without a terminal) in the learner's workspace and looks at how it ended. */
export const commandProbe = z.strictObject({
  kind: z.literal('command'),
  /**
   * The command line, run by `bash -c` in the workspace folder: not a login shell, so neither
   * ~/.profile nor ~/.bashrc is read; the learner's virtualenv is on PATH when there is one.
   */
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
