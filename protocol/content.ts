import * as z from 'zod';
import { checkProblems } from './issues.ts';
import { CheckSchema } from './probes/index.ts';

/** A step id or chapter id: lowercase words joined by dashes. */
export const IdSchema = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lowercase words joined by dashes');

/** A duration: minutes, seconds or both, as in "30s", "2m" or "1m30s". */
const DURATION = /^(?:(\d+)m)?(?:(\d+)s)?$/;
const DURATION_HELP = 'write a duration such as "30s", "2m" or "1m30s"';

/** A duration such as "30s", "2m" or "1m30s". */
export const DurationSchema = z
  .string()
  .regex(DURATION, DURATION_HELP)
  .refine((s) => s.length > 0, DURATION_HELP);

/** The minutes and seconds of a duration such as "1m30s"; a RangeError for anything else. */
export function parseDuration(duration: string): { minutes: number; seconds: number } {
  const m = DURATION.exec(duration);
  if (!m) throw new RangeError(`"${duration}" is not a duration such as "30s" or "2m".`);
  return { minutes: Number(m[1] ?? 0), seconds: Number(m[2] ?? 0) };
}

/** Seconds in a duration string such as "1m30s". */
export function durationSeconds(duration: string): number {
  const { minutes, seconds } = parseDuration(duration);
  return minutes * 60 + seconds;
}

/** A step of some chapter, written `chapter/step`, e.g. `before-you-start/python-venv`. */
export const StepRefSchema = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/, 'write a step as "chapter/step", e.g. "before-you-start/python-venv"');

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
  /**
   * Programs this step puts on the learner's PATH, e.g. `[dvc, mlflow]`: a `command not found` for
   * one of them, in any chapter, names this step as the one that installs it.
   */
  installs: z.array(z.string().regex(/^[\w.+-]+$/, 'write a program name such as "dvc"')).optional(),
});
export type Step = z.output<typeof StepSchema>;

/** The tutorial fields of a chapter's frontmatter (Starlight's own fields come beside them). */
export const ChapterFieldsSchema = z.object({
  /** What the learner will have at the end of the chapter. */
  goal: z.string().optional(),
  /** How long the whole chapter usually takes, e.g. "15m". */
  time: DurationSchema.optional(),
  /**
   * Steps of earlier chapters that this one builds on, as `chapter/step`: the workspace's
   * virtualenv, a running stack, a git repository. Each is in place when its check passes. The
   * needs of a needed step's chapter come with it. The page shows what is missing, with one click
   * to catch up, and `npm run tutorial -- verify <chapter>` runs the missing ones first.
   */
  needs: z
    .array(StepRefSchema)
    .default([])
    .superRefine((needs, ctx) => {
      for (const [i, n] of needs.entries()) {
        if (needs.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `"${n}" is listed twice` });
      }
    }),
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

/**
 * `schema`, with its problems worded as the server words them (protocol/issues.ts): one issue per
 * problem, at its field, instead of zod's own text (which for a misspelled probe kind lists the
 * errors of every alternative of the check union).
 */
function worded<S extends z.ZodType>(schema: S) {
  return z.unknown().transform((value, ctx): z.output<S> => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    for (const p of checkProblems(r.error.issues, value)) ctx.addIssue({ code: 'custom', path: p.path, message: p.text, input: value });
    return z.NEVER;
  });
}

const fields = ChapterFieldsSchema.shape;

/**
 * The tutorial fields of a chapter's frontmatter as `astro build` checks them (src/content.config.ts):
 * ChapterFieldsSchema field by field, so that a bad chapter fails the build with the words the
 * server uses, `**steps.1.check.all.1.kind**: "htp" is not a probe kind; use one of ...`.
 */
export const ChapterFieldsBuildSchema = z.object({
  goal: worded(fields.goal).optional(),
  time: worded(fields.time).optional(),
  needs: worded(fields.needs).default([]),
  steps: worded(fields.steps).default([]),
} satisfies Record<keyof typeof fields, z.ZodType>);

/**
 * A chapter's id, which the page, the progress store and the command line use: its file's base
 * name without the extension. `start-the-stack` for content/docs/chapters/start-the-stack.mdx, and
 * for the docs entry id `chapters/start-the-stack`.
 */
export function chapterId(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.mdx?$/, '');
}

/** True for a file name the tutorial reads as a page: `.md` or `.mdx`, not starting with `_` (a draft or a partial). */
export function isChapterFile(name: string): boolean {
  return /^[^_].*\.mdx?$/.test(name);
}

/** The YAML between the leading `---` lines of a Markdown file, or undefined. */
export function frontmatterOf(text: string): string | undefined {
  return /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text)?.[1];
}

/** Where a chapter goes and what it is called, from its file and its parsed frontmatter. */
export interface ChapterHead {
  id: string;
  /** Starlight's `title`; the id when the frontmatter has none. */
  title: string;
  /** Starlight's `sidebar.order`, when the chapter sets it. */
  order?: number;
}

/** The head of a chapter: `file` is its path (or docs entry id), `front` its parsed frontmatter. */
export function chapterHead(file: string, front: unknown): ChapterHead {
  const id = chapterId(file);
  const fm = (front ?? {}) as { title?: unknown; sidebar?: { order?: unknown } };
  const order = fm.sidebar?.order;
  return { id, title: typeof fm.title === 'string' ? fm.title : id, ...(typeof order === 'number' ? { order } : {}) };
}

/**
 * The chapter order of the sidebar, the overview and the server: by `sidebar.order` (chapters
 * without one last), then by id.
 */
export function compareChapters(a: { id: string; order?: number }, b: { id: string; order?: number }): number {
  const byOrder = (a.order ?? Number.POSITIVE_INFINITY) - (b.order ?? Number.POSITIVE_INFINITY);
  return byOrder || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A chapter as the page's code knows it: the JSON island the sidebar writes (src/lib/chapters.ts). */
export const ChapterSummarySchema = z.object({
  id: IdSchema,
  title: z.string(),
  /** The chapter's page, e.g. `/chapters/start-the-stack/`. */
  href: z.string(),
  steps: z.array(StepSchema.pick({ id: true, title: true })),
});
export type ChapterSummary = z.output<typeof ChapterSummarySchema>;
