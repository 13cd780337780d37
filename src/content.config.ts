import { defineCollection } from 'astro:content';
import { docsSchema } from '@astrojs/starlight/schema';
import { glob } from 'astro/loaders';
import { ChapterFieldsBuildSchema } from '../protocol/content.ts';

// Chapters live in the top-level content/ folder, one source of truth for the site and the
// server. The same zod schema validates the steps here (a typo fails `astro build` with the file,
// the field and what to write, in the words the server uses) and in the server when it loads them.
export const collections = {
  docs: defineCollection({
    loader: glob({ base: './content/docs', pattern: '**/[^_]*.{md,mdx}' }),
    schema: docsSchema({ extend: ChapterFieldsBuildSchema }),
  }),
};
