// @ts-check

import { readdirSync, readFileSync } from 'node:fs';
import mdx from '@astrojs/mdx';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { parse } from 'yaml';
import { chapterHead, compareChapters, frontmatterOf, isChapterFile } from './protocol/content.ts';

/**
 * The chapters in sidebar order (protocol/content.ts compareChapters, which the server uses too).
 * Starlight's `autogenerate` finds nothing here: it only knows docs under src/content/docs, and
 * ours live in the top-level content/ folder, so the list is built from the files themselves.
 */
function chapterSlugs() {
  const dir = new URL('./content/docs/chapters/', import.meta.url);
  return readdirSync(dir)
    .filter(isChapterFile)
    .map((f) => chapterHead(f, parse(frontmatterOf(readFileSync(new URL(f, dir), 'utf8')) ?? '')))
    .sort(compareChapters)
    .map((c) => `chapters/${c.id}`);
}

// The site is static: the local server (server/web/http.ts) serves dist/ and adds the per-start
// token to every HTML page it sends. Nothing is fetched from outside 127.0.0.1.
export default defineConfig({
  site: 'http://127.0.0.1:4321',
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
      head: [{ tag: 'meta', attrs: { name: 'tutorial-token', content: '__TUTORIAL_TOKEN__' } }],
      // Overrides wrap Starlight's own components: the terminal dock and the page's script
      // (PageFrame), the chapter list for the sidebar's progress bars (Sidebar), and the chapter
      // bar under a chapter's title (PageTitle).
      components: {
        PageFrame: './src/components/PageFrame.astro',
        Sidebar: './src/components/Sidebar.astro',
        PageTitle: './src/components/PageTitle.astro',
      },
      sidebar: [
        {
          label: 'Start here',
          items: [
            { label: 'Overview', link: '/' },
            { label: 'Your progress', link: '/progress/' },
          ],
        },
        { label: 'Chapters', items: chapterSlugs() },
      ],
    }),
    mdx(),
  ],
});
