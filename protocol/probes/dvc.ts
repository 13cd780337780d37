import * as z from 'zod';
import { probeBase } from './common.ts';

/**
 * Looks at a DVC repository in the workspace, through its files and the `dvc` command (run from
 * the learner's virtualenv). Give any of the fields below; they are checked in the order listed
 * and the first one that fails decides the result. Paths are relative to `repo`.
 *
 * ```yaml
 * - { kind: dvc, initialized: true }
 * - { kind: dvc, tracked: data/measurements.csv }
 * - { kind: dvc, remote: true, pushed: true }
 * - { kind: dvc, matches: data/measurements.csv, md5: 0f343b0931126a20f133d67c2b018a3b }
 * ```
 */
export const dvcProbe = z
  .strictObject({
    kind: z.literal('dvc'),
    /** The repository folder, relative to the workspace. */
    repo: z.string().default('.'),
    /** `dvc init` has run: the repository has a `.dvc/` folder. */
    initialized: z.boolean().optional(),
    /** This path is tracked by DVC (`<path>.dvc` names an output with an md5) and not by Git. */
    tracked: z.string().min(1).optional(),
    /** A default remote is configured (`dvc remote default`); a string also requires its name. */
    remote: z.union([z.boolean(), z.string().min(1)]).optional(),
    /** The cache is pushed: `dvc status -c` finds nothing that the remote lacks. */
    pushed: z.boolean().optional(),
    /** This tracked path's workspace content is the version its `<path>.dvc` names (or `md5`, when given). */
    matches: z.string().min(1).optional(),
    /** The md5 that `matches` expects (the md5 of a version, as in its `.dvc` file). */
    md5: z
      .string()
      .regex(/^[0-9a-f]{32}(\.dir)?$/)
      .optional(),
    ...probeBase,
  })
  .refine((s) => s.initialized || s.tracked || s.remote || s.pushed || s.matches, {
    message: 'Give at least one of initialized, tracked, remote, pushed or matches.',
  })
  .refine((s) => !s.md5 || s.matches, { message: 'md5 belongs to matches: give the path in matches.' });
export type DvcProbe = z.output<typeof dvcProbe>;
