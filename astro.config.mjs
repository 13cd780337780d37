// @ts-check

import { readdirSync, readFileSync } from 'node:fs';
import { satteri } from '@astrojs/markdown-satteri';
import mdx from '@astrojs/mdx';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { parse } from 'yaml';
import { baseLinks } from './src/lib/base-links.mjs';

/**
 * The chapters in sidebar order (frontmatter `sidebar.order`, then file name). Starlight's
 * `autogenerate` finds nothing here: it only knows docs under src/content/docs, and ours live in
 * the top-level content/ folder, so the list is built from the files themselves.
 */
function chapterSlugs() {
  const dir = new URL('./content/docs/chapters/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => /^[^_].*\.mdx?$/.test(f))
    .map((f) => {
      const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(new URL(f, dir), 'utf8'))?.[1] ?? '';
      const order = parse(front)?.sidebar?.order;
      return { slug: `chapters/${f.replace(/\.mdx?$/, '')}`, order: typeof order === 'number' ? order : Number.POSITIVE_INFINITY };
    })
    .sort((a, b) => a.order - b.order || a.slug.localeCompare(b.slug))
    .map((c) => c.slug);
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
