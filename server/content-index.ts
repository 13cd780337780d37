import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ChapterFieldsSchema } from '../protocol/content.ts';
import type { ChapterInfo, ContentIndex } from './step-controller.ts';

/** Reads the chapters (content/docs/**.md(x) frontmatter with steps) in sidebar order. */
export function loadContentIndex(contentDir: string): ContentIndex {
  const docs = join(contentDir, 'docs');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.mdx?$/.test(e.name) && !e.name.startsWith('_')) files.push(join(d, e.name));
    }
  };
  walk(docs);
  const chapters: (ChapterInfo & { order: number; file: string })[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
    if (!m) continue;
    const data = (parseYaml(m[1]!) ?? {}) as Record<string, unknown>;
    const parsed = ChapterFieldsSchema.safeParse({ goal: data.goal, time: data.time, steps: data.steps });
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new TypeError(`${relative(contentDir, file)}: ${i?.path.join('.')}: ${i?.message}`);
    }
    if (parsed.data.steps.length === 0) continue;
    const hashes: Record<string, string> = {};
    for (const s of parsed.data.steps) hashes[s.id] = createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16);
    chapters.push({
      id: basename(file).replace(/\.mdx?$/, ''),
      title: String(data.title ?? ''),
      steps: parsed.data.steps,
      hashes,
      order: Number((data.sidebar as { order?: number } | undefined)?.order ?? 1000),
      file,
    });
  }
  chapters.sort((a, b) => a.order - b.order || a.file.localeCompare(b.file));
  const byId = new Map(chapters.map((c) => [c.id, c]));
  return { chapters, chapter: (id) => byId.get(id) };
}
