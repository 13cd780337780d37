// @ts-check

/**
 * A Markdown (hast) plugin that puts the site's base path in front of root-relative links and
 * images written in the chapters: "/chapters/x/" becomes "/user/ada/tutorial/chapters/x/" in
 * workshop mode, where the site is served under jupyter-server-proxy's path. Astro adds `base` to
 * the links it makes itself, not to those in Markdown. With the base "/" there is no plugin.
 * @param {string} base
 * @returns {import('satteri').HastPluginEntry}
 */
export function baseLinks(base) {
  const prefix = base.replace(/\/+$/, '');
  if (!prefix) return null;
  return {
    name: 'tutorial-base-links',
    element: {
      filter: ['a', 'img'],
      visit(node, ctx) {
        const attr = node.tagName === 'a' ? 'href' : 'src';
        const v = node.properties?.[attr];
        if (typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') && !v.startsWith(`${prefix}/`)) {
          ctx.setProperty(node, attr, prefix + v);
        }
      },
    },
  };
}
