import { z } from 'zod';
import { CheckSchema } from './probes/index.ts';

/** A step id or chapter id: lowercase words joined by dashes. */
export const IdSchema = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lowercase words joined by dashes');

/** A duration such as "30s", "2m" or "1m30s". */
export const DurationSchema = z
  .string()
  .regex(/^(\d+m)?(\d+s)?$/, 'write a duration such as "30s", "2m" or "1m30s"')
  .refine((s) => s.length > 0, 'write a duration such as "30s", "2m" or "1m30s"');

/** Seconds in a duration string such as "1m30s". */
export function durationSeconds(duration: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (!m) throw new RangeError(`"${duration}" is not a duration such as "30s" or "2m".`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

/** A link to upstream documentation. */
export const DocLinkSchema = z.strictObject({ label: z.string(), url: z.url() });

/** One step of a chapter: commands to run, and the check that proves they worked. */
export const StepSchema = z.strictObject({
  /** Unique within the chapter; used in URLs, progress and `npm run check -- chapter/step`. */
  id: IdSchema,
  title: z.string().min(1),
  /** How long the step usually takes; also the deadline of each command in the headless runner. */
  duration: DurationSchema,
  /** Commands typed into the chapter's shell, one per Run button, in order. */
  run: z.array(z.string().min(1)).default([]),
  /** What proves the step worked. */
  check: CheckSchema,
  /** True when the check may already pass before the step runs (an idempotent step). */
  mayAlreadyHold: z.boolean().default(false),
  /** Short advice for the usual failures, shown when the check fails. */
  hints: z.array(z.string()).default([]),
  /** Upstream documentation for this step. */
  docs: z.array(DocLinkSchema).default([]),
});
export type Step = z.output<typeof StepSchema>;

/** The tutorial fields of a chapter's frontmatter (Starlight's own fields come beside them). */
export const ChapterFieldsSchema = z.object({
  /** What the learner will have at the end of the chapter. */
  goal: z.string().optional(),
  /** How long the whole chapter usually takes, e.g. "15m". */
  time: DurationSchema.optional(),
  /** The chapter's steps, in order. */
  steps: z
    .array(StepSchema)
    .default([])
    .superRefine((steps, ctx) => {
      const seen = new Set<string>();
      for (const [i, s] of steps.entries()) {
        if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `step id "${s.id}" is used twice` });
        seen.add(s.id);
      }
    }),
});
export type ChapterFields = z.output<typeof ChapterFieldsSchema>;
