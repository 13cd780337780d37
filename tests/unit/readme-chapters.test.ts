import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { chapterHead, compareChapters, frontmatterOf, isChapterFile } from '../../protocol/content.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CHAPTERS = join(ROOT, 'content', 'docs', 'chapters');

describe("README's chapter list", () => {
  it('numbers the chapters 1, 2, … in the order and with the titles of the site', () => {
    const site = readdirSync(CHAPTERS)
      .filter(isChapterFile)
      .map((f) => chapterHead(f, parseYaml(frontmatterOf(readFileSync(join(CHAPTERS, f), 'utf8')) ?? '')))
      .sort(compareChapters)
      .map((c, i) => `${i + 1}. ${c.title}`);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The chapters'), readme.indexOf('## Adding a chapter'));
    const listed = [...section.matchAll(/^(\d+)\. ([^:]+):/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(listed).toEqual(site);
  });
});
