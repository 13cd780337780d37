import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ChapterFields, ChapterFieldsSchema, type Step } from '../../protocol/content.ts';
import { formatCheckIssues } from '../checks/issues.ts';
import { PLACEHOLDER_NAMES, placeholdersIn } from '../checks/placeholders.ts';

/** A chapter as the server reads it from content/docs. */
export interface LoadedChapter {
  /** The file's base name without extension: `start-the-stack` for content/docs/chapters/start-the-stack.mdx. */
  id: string;
  title: string;
  /** The file (absolute). */
  file: string;
  /** Starlight's `sidebar.order`, when the chapter sets it. */
  order?: number;
  steps: Step[];
  /** Each step's content hash, by step id. */
  hashes: Record<string, string>;
  /** Every tutorial field of the frontmatter, validated. */
  fields: ChapterFields;
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
  return createHash('sha256').update(stableJson(step)).digest('hex').slice(0, 16);
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

/** The YAML between the leading `---` lines of a Markdown file, or undefined. */
export function frontmatterOf(text: string): string | undefined {
  return /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text)?.[1];
}

/** Parses and validates one chapter file; throws a ContentError naming the file and the fields. */
export function loadChapterFile(file: string): LoadedChapter {
  // The short id the page, the progress store and the command line use: the file's base name.
  const id = basename(file).replace(/\.mdx?$/, '');
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
  const fm = front as { title?: unknown; sidebar?: { order?: unknown } };
  const order = typeof fm.sidebar?.order === 'number' ? fm.sidebar.order : undefined;
  return {
    id,
    title: typeof fm.title === 'string' ? fm.title : id,
    file,
    order,
    steps: r.data.steps,
    hashes: Object.fromEntries(r.data.steps.map((s) => [s.id, stepHash(s)])),
    fields: r.data,
  };
}

/**
 * Every chapter under `<contentDir>/docs` (`.md` and `.mdx`, skipping names that start with `_`),
 * ordered as Starlight's sidebar orders them: by `sidebar.order` (chapters without one last),
 * then by path. Throws a ContentError for the first file that is not valid.
 */
export function loadChapters(contentDir: string): LoadedChapter[] {
  const docsDir = join(contentDir, 'docs');
  const files = readdirSync(docsDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.mdx?$/.test(d.name) && !d.name.startsWith('_'))
    .map((d) => join(d.parentPath, d.name));
  const chapters = files.map((f) => loadChapterFile(f));
  const seen = new Map<string, string>();
  for (const c of chapters) {
    const other = seen.get(c.id);
    if (other)
      throw new ContentError(c.file, [`the chapter id "${c.id}" is also the name of ${other}; chapter file names must be unique.`]);
    seen.set(c.id, c.file);
  }
  return chapters.sort(
    (a, b) => (a.order ?? Number.POSITIVE_INFINITY) - (b.order ?? Number.POSITIVE_INFINITY) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** What `chapter` or `chapter/step` names: a whole chapter, or one step of it. */
export type StepRef = { chapter: LoadedChapter; step?: Step };

/**
 * Resolves `chapter` or `chapter/step`. Returns
 * undefined when nothing matches.
 */
export function resolveRef(chapters: readonly LoadedChapter[], ref: string): StepRef | undefined {
  const whole = chapters.find((c) => c.id === ref);
  if (whole) return { chapter: whole };
  const cut = ref.lastIndexOf('/');
  if (cut < 0) return undefined;
  const chapter = chapters.find((c) => c.id === ref.slice(0, cut));
  const step = chapter?.steps.find((s) => s.id === ref.slice(cut + 1));
  return chapter && step ? { chapter, step } : undefined;
}
