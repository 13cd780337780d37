import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  type ChapterFields,
  ChapterFieldsSchema,
  type ChapterHead,
  chapterHead,
  compareChapters,
  frontmatterOf,
  isChapterFile,
  type Step,
} from '../../protocol/content.ts';
import { formatCheckIssues } from '../../protocol/issues.ts';
import { neededSteps, needsProblems } from '../../protocol/needs.ts';
import { PLACEHOLDER_NAMES, placeholdersIn } from '../checks/placeholders.ts';

/** A chapter as the server knows it: its id, title and steps, loaded from content/. */
export interface ChapterInfo {
  /** The chapter file's base name (protocol/content.ts chapterId). */
  id: string;
  title: string;
  steps: Step[];
  /** Each step's content hash, by step id; a changed hash makes stored progress stale. */
  hashes: Record<string, string>;
  /** Steps of earlier chapters this one builds on, as `chapter/step` (its frontmatter's `needs`). */
  needs: string[];
}

/** A step of another chapter that a chapter needs. */
export interface Need {
  chapter: ChapterInfo;
  step: Step;
}

/** A chapter as the server reads it from content/docs. */
export interface LoadedChapter extends ChapterInfo, ChapterHead {
  /** The file (absolute). */
  file: string;
  /** Every tutorial field of the frontmatter, validated. */
  fields: ChapterFields;
}

/** The chapters that have steps, in sidebar order, and a look-up by id. */
export interface ContentIndex {
  chapters: readonly ChapterInfo[];
  chapter(id: string): ChapterInfo | undefined;
  /**
   * The steps of earlier chapters that the chapter needs, with their own chapters' needs, in the
   * order a learner would have done them (protocol/needs.ts neededSteps).
   */
  needs(id: string): Need[];
}

/** A chapter file that cannot be used; the message names the file and every bad field. */
export class ContentError extends Error {
  override name = 'ContentError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
}

/**
 * A step's content hash: sha256 of its fields in a stable key order, so progress recorded for
 * other content shows as stale. The first 16 hex digits are plenty to tell versions apart.
 */
export function stepHash(step: Step): string {
  // `installs` says what the step provides, not what it does: naming it must not make passes stale.
  const { installs: _, ...what } = step;
  return createHash('sha256').update(stableJson(what)).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Parses and validates one chapter file; throws a ContentError naming the file and the fields. */
function loadChapterFile(file: string): LoadedChapter {
  const yamlText = frontmatterOf(readFileSync(file, 'utf8'));
  let front: unknown = {};
  if (yamlText !== undefined) {
    try {
      front = parseYaml(yamlText) ?? {};
    } catch (err) {
      throw new ContentError(file, [`frontmatter: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
    }
  }
  const r = ChapterFieldsSchema.safeParse(front);
  if (!r.success) throw new ContentError(file, formatCheckIssues(r.error.issues, front));
  const problems: string[] = [];
  for (const [i, step] of r.data.steps.entries()) {
    for (const name of placeholdersIn(step.check)) {
      if (!(PLACEHOLDER_NAMES as readonly string[]).includes(name)) {
        problems.push(
          `steps.${i}.check: the placeholder {{${name}}} is not known; use one of ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ')}.`,
        );
      }
    }
  }
  if (problems.length) throw new ContentError(file, problems);
  return {
    ...chapterHead(file, front),
    file,
    steps: r.data.steps,
    hashes: Object.fromEntries(r.data.steps.map((s) => [s.id, stepHash(s)])),
    needs: r.data.needs,
    fields: r.data,
  };
}

/**
 * Every chapter under `<contentDir>/docs` (`.md` and `.mdx`, skipping names that start with `_`),
 * in the sidebar's order (protocol/content.ts compareChapters). Throws a ContentError for the
 * first file that is not valid.
 */
export function loadChapters(contentDir: string): LoadedChapter[] {
  const docsDir = join(contentDir, 'docs');
  const files = readdirSync(docsDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && isChapterFile(d.name))
    .map((d) => join(d.parentPath, d.name));
  const chapters = files.map((f) => loadChapterFile(f));
  const seen = new Map<string, string>();
  for (const c of chapters) {
    const other = seen.get(c.id);
    if (other)
      throw new ContentError(c.file, [`the chapter id "${c.id}" is also the name of ${other}; chapter file names must be unique.`]);
    seen.set(c.id, c.file);
  }
  chapters.sort(compareChapters);
  const needs = needsProblems(chapters);
  const bad = chapters.find((c) => needs.some((p) => p.chapter === c.id));
  if (bad) {
    throw new ContentError(
      bad.file,
      needs.filter((p) => p.chapter === bad.id).map((p) => `needs.${p.index}: ${p.text}`),
    );
  }
  return chapters;
}

/** The chapters that have steps, in sidebar order, by id (the chapter file's base name). */
export function loadContentIndex(contentDir: string): ContentIndex {
  const chapters: ChapterInfo[] = loadChapters(contentDir)
    .filter((c) => c.steps.length > 0)
    .map((c) => ({ id: c.id, title: c.title, steps: c.steps, hashes: c.hashes, needs: c.needs }));
  const byId = new Map(chapters.map((c) => [c.id, c]));
  // The chapters are in sidebar order already: their place is their order.
  const placed = chapters.map((c, order) => ({ ...c, order }));
  return {
    chapters,
    chapter: (id) => byId.get(id),
    needs: (id) =>
      neededSteps(placed, id).map((n) => {
        const chapter = byId.get(n.chapter)!;
        return { chapter, step: chapter.steps.find((s) => s.id === n.step)! };
      }),
  };
}

/** What `chapter` or `chapter/step` names: a whole chapter, or one step of it. */
export type StepRef = { chapter: LoadedChapter; step?: Step };

/** Resolves `chapter` or `chapter/step`; undefined when nothing matches. */
export function resolveRef(chapters: readonly LoadedChapter[], ref: string): StepRef | undefined {
  const whole = chapters.find((c) => c.id === ref);
  if (whole) return { chapter: whole };
  const cut = ref.lastIndexOf('/');
  if (cut < 0) return undefined;
  const chapter = chapters.find((c) => c.id === ref.slice(0, cut));
  const step = chapter?.steps.find((s) => s.id === ref.slice(cut + 1));
  return chapter && step ? { chapter, step } : undefined;
}
