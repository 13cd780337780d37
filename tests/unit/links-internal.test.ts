import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { frontmatterOf } from '../../protocol/content.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = join(ROOT, 'content', 'docs');
const PUBLIC = join(ROOT, 'public');
const PAGES = join(ROOT, 'src', 'pages');

/** Files under a folder, as paths relative to it with forward slashes. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join('/'));
}

/** The Starlight route of a content file: `chapters/x.mdx` → `/chapters/x/`, `index.mdx` → `/`. */
function routeOf(file: string): string {
  const path = file.replace(/\.mdx?$/, '').replace(/(^|\/)index$/, '');
  return path === '' ? '/' : `/${path}/`;
}

/** A page of the site, with the text of its body. */
interface Page {
  file: string;
  route: string;
  front: Record<string, unknown>;
  body: string;
}

const pages: Page[] = filesUnder(DOCS)
  .filter((f) => /\.mdx?$/.test(f) && !f.split('/').some((part) => part.startsWith('_')))
  .map((file) => {
    const text = readFileSync(join(DOCS, file), 'utf8');
    const yaml = frontmatterOf(text);
    const body = yaml === undefined ? text : text.slice(text.indexOf(yaml) + yaml.length).replace(/^\r?\n---\r?\n/, '');
    return { file, route: routeOf(file), front: (yaml ? parseYaml(yaml) : {}) ?? {}, body };
  });

/** Every route the built site has: content pages, src/pages (pages and endpoints), and the files in public/. */
const routes = new Set<string>([
  ...pages.map((p) => p.route),
  ...filesUnder(PAGES)
    .filter((f) => /\.(astro|md|mdx|ts)$/.test(f) && !f.includes('['))
    // An endpoint that names its file's type (`diagrams/stack.svg.ts`) is that file.
    .map((f) => (/\.\w+\.ts$/.test(f) ? `/${f.replace(/\.ts$/, '')}` : routeOf(f.replace(/\.(astro|ts)$/, '.md')))),
  ...filesUnder(PUBLIC).map((f) => `/${f}`),
]);

/** A fenced code block: its language (may be empty) and whether it sits inside a <Step>. */
interface Fence {
  lang: string;
  line: number;
  inStep: boolean;
}

/** Walks a body line by line, tracking fences and <Step> elements. */
function scan(body: string): { fences: Fence[]; prose: string } {
  const fences: Fence[] = [];
  const prose: string[] = [];
  let fence: { marker: string } | undefined;
  let depth = 0;
  body.split(/\r?\n/).forEach((line, i) => {
    const open = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (fence) {
      if (open && open[1]!.startsWith(fence.marker) && open[2] === '') fence = undefined;
      return;
    }
    if (open) {
      fence = { marker: open[1]! };
      fences.push({ lang: open[2]!.toLowerCase(), line: i + 1, inStep: depth > 0 });
      return;
    }
    depth += (line.match(/<Step\b[^>]*[^/]>/g) ?? []).length;
    depth -= (line.match(/<\/Step>/g) ?? []).length;
    prose.push(line);
  });
  return { fences, prose: prose.join('\n') };
}

/** Internal links of a body: Markdown links and images whose target is not another site. */
function linksOf(prose: string): string[] {
  const withoutCode = prose.replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('#'));
}

/** Resolves a link against the page it is on, without its #fragment or ?query. */
function resolve(href: string, from: string): string {
  const path = href.replace(/[#?].*$/, '');
  if (path.startsWith('/')) return path;
  return new URL(path, `http://site${from}`).pathname;
}

const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'console', 'shellsession', 'shell-session', 'powershell', 'ps1', 'bat', 'cmd']);

describe('internal links', () => {
  it('finds the pages, the chapters and the public files', () => {
    expect(routes).toContain('/');
    expect(routes).toContain('/chapters/before-you-start/');
    expect(routes).toContain('/diagrams/stack.svg');
  });

  for (const page of pages) {
    it(`resolve to pages that exist, from ${page.file}`, () => {
      const hrefs = linksOf(scan(page.body).prose);
      const hero = (page.front.hero as { actions?: { link?: unknown }[] } | undefined)?.actions ?? [];
      for (const action of hero) if (typeof action.link === 'string' && action.link.startsWith('/')) hrefs.push(action.link);
      for (const href of hrefs) {
        const target = resolve(href, page.route);
        // Starlight pages end with a slash (trailingSlash: 'always'); files do not.
        expect(routes.has(target), `${page.file}: ${href} → ${target}`).toBe(true);
      }
    });
  }
});

describe('code blocks', () => {
  for (const page of pages) {
    it(`outside a <Step> are marked, and are not shell commands, in ${page.file}`, () => {
      for (const fence of scan(page.body).fences) {
        if (fence.inStep) continue;
        const where = `${page.file}:${fence.line}`;
        expect(fence.lang, `${where}: give the block a language such as text, yaml, ini or json`).not.toBe('');
        expect(SHELL_LANGS.has(fence.lang), `${where}: a shell block outside a step cannot be run; make it a step or mark it as text`).toBe(
          false,
        );
      }
    });
  }
});

describe('the link scanner', () => {
  it('ignores links in code, external links and fragments, and resolves relative links', () => {
    const prose = 'See [a](/chapters/x/), `[b](/nope/)`, [c](https://example.com/), [d](#top), ![e](../y/#z).';
    expect(linksOf(prose)).toEqual(['/chapters/x/', '../y/#z']);
    expect(resolve('../y/#z', '/chapters/x/')).toBe('/chapters/y/');
  });

  it('tells fences inside a step from those outside', () => {
    const body = ['```text', 'a', '```', '<Step id="s">', '```bash', 'b', '```', '</Step>', '```yaml', 'c: 1', '```'].join('\n');
    expect(scan(body).fences.map((f) => [f.lang, f.inStep])).toEqual([
      ['text', false],
      ['bash', true],
      ['yaml', false],
    ]);
  });
});
