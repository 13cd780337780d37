// @ts-check

import { readdirSync, readFileSync } from 'node:fs';
import { satteri } from '@astrojs/markdown-satteri';
import mdx from '@astrojs/mdx';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { parse } from 'yaml';
import { chapterHead, compareChapters, frontmatterOf, isChapterFile } from './protocol/content.ts';
import { needsProblems } from './protocol/needs.ts';
import { baseLinks } from './src/lib/base-links.mjs';

/**
 * The chapters in sidebar order (protocol/content.ts compareChapters, which the server uses too).
 * Starlight's `autogenerate` finds nothing here: it only knows docs under src/content/docs, and
 * ours live in the top-level content/ folder, so the list is built from the files themselves.
 */
function chapterSlugs() {
  const dir = new URL('./content/docs/chapters/', import.meta.url);
  const chapters = readdirSync(dir)
    .filter(isChapterFile)
    .map((f) => {
      const front = parse(frontmatterOf(readFileSync(new URL(f, dir), 'utf8')) ?? '') ?? {};
      return { ...chapterHead(f, front), file: f, ...needsFields(front) };
    })
    .sort(compareChapters);
  // A need names another chapter's step, which the content schema cannot see from one file:
  // checked here across chapters, in the words the server uses (protocol/needs.ts).
  const problems = needsProblems(chapters);
  if (problems.length > 0) {
    const lines = problems.map(
      (p) => `content/docs/chapters/${chapters.find((c) => c.id === p.chapter)?.file}: needs.${p.index}: ${p.text}`,
    );
    throw new Error(`The chapters' needs are not valid:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
  return chapters.map((c) => `chapters/${c.id}`);
}

/** The needs and steps of raw frontmatter, as far as they are well formed (the content schema reports the rest). */
function needsFields(/** @type {any} */ front) {
  const wellFormed =
    Array.isArray(front.needs) && front.needs.every((/** @type {unknown} */ n) => typeof n === 'string' && /^[^/]+\/[^/]+$/.test(n));
  const needs = wellFormed ? front.needs : [];
  const steps = Array.isArray(front.steps) ? front.steps.filter((/** @type {any} */ s) => typeof s?.id === 'string') : [];
  return { needs, steps };
}

// Workshop mode serves the site under a path such as /user/ada/tutorial/ (behind
// jupyter-server-proxy); the server builds it with that path in TUTORIAL_BASE (server/cli/build.ts).
const base = process.env.TUTORIAL_BASE || '/';

// The site is static: the local server (server/web/http.ts) serves dist/ and adds the per-start
// token to every HTML page it sends. Nothing is fetched from outside 127.0.0.1.
export default defineConfig({
  site: 'http://127.0.0.1:4321',
  base,
  // Astro's own Markdown processor, plus the base path on the links the chapters write.
  markdown: { processor: satteri({ hastPlugins: [baseLinks(base)] }) },
  output: 'static',
  trailingSlash: 'always',
  integrations: [
    starlight({
      title: 'Data-science stack, step by step',
      description: 'Set up Elasticsearch, Kibana, fluentd, MLflow and DVC on your machine, with every step checked.',
      tableOfContents: false,
      pagination: true,
      lastUpdated: false,
      customCss: ['./src/styles/tutorial.css'],
      // The hero's links with the base path (Starlight uses frontmatter links as written).
      routeMiddleware: './src/route-data.ts',
      head: [{ tag: 'meta', attrs: { name: 'tutorial-token', content: '__TUTORIAL_TOKEN__' } }],
      // Overrides wrap Starlight's own components: the terminal dock and the page's script
      // (PageFrame), the chapter list for the sidebar's progress bars (Sidebar), and the chapter
      // bar under a chapter's title (PageTitle).
      components: {
        PageFrame: './src/components/PageFrame.astro',
        Sidebar: './src/components/Sidebar.astro',
        PageTitle: './src/components/PageTitle.astro',
      },
      // Previous and Next follow this order: the overview, the chapters, then the progress page
      // (so Next from the overview is the first chapter, and Next from the last one is progress).
      sidebar: [
        { label: 'Overview', link: '/' },
        { label: 'Chapters', items: chapterSlugs() },
        { label: 'Your progress', link: '/progress/' },
      ],
    }),
    mdx(),
  ],
});
