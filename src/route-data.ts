import { defineRouteMiddleware } from '@astrojs/starlight/route-data';
import { withBase } from './lib/base-links.mjs';

/**
 * Puts the site's base path (workshop mode: /user/<name>/tutorial/) in front of the hero's action
 * links, which a page's frontmatter writes root-relative (`hero.actions[].link`) and Starlight
 * uses as written. Links in the content itself get it from src/lib/base-links.mjs.
 */
export const onRequest = defineRouteMiddleware((context) => {
  for (const action of context.locals.starlightRoute.entry.data.hero?.actions ?? []) {
    action.link = withBase(import.meta.env.BASE_URL, action.link);
  }
});
