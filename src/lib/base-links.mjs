// @ts-check

/**
 * `href` with the site's base path in front when it is root-relative ("/chapters/x/" becomes
 * "/user/ada/tutorial/chapters/x/" in workshop mode, where the site is served under
 * jupyter-server-proxy's path). Other links (relative, "//host", "https:", "#x") and links that
 * already start with the base stay as they are. With the base "/" nothing changes.
 * @param {string} base
 * @param {string} href
 */
export function withBase(base, href) {
  const prefix = base.replace(/\/+$/, '');
  if (!prefix || !href.startsWith('/') || href.startsWith('//') || href === prefix || href.startsWith(`${prefix}/`)) return href;
  return prefix + href;
}

/** Attributes of an MDX component that hold a link (LinkCard's href, Diagram's src, ...). */
const LINK_ATTRIBUTES = new Set(['href', 'src', 'link']);

/**
 * A Markdown (hast) plugin that puts the site's base path in front of root-relative links and
 * images written in the chapters: in Markdown (`a`, `img`) and in MDX components (`<LinkCard
 * href="/chapters/x/">`, `<Diagram src="/diagrams/x.svg">`). Astro adds `base` to the links it
 * makes itself, not to those in the content. With the base "/" there is no plugin.
 * @param {string} base
 * @returns {import('satteri').HastPluginEntry}
 */
export function baseLinks(base) {
  if (!base.replace(/\/+$/, '')) return null;
  /**
   * @param {any} node
   * @param {import('satteri').HastVisitorContext} ctx
   */
  const visitComponent = (node, ctx) => {
    for (const a of node.attributes ?? []) {
      if (a.type === 'mdxJsxAttribute' && LINK_ATTRIBUTES.has(a.name) && typeof a.value === 'string') {
        const v = withBase(base, a.value);
        if (v !== a.value) ctx.setProperty(node, a.name, v);
      }
    }
  };
  return {
    name: 'tutorial-base-links',
    element: {
      filter: ['a', 'img'],
      visit(node, ctx) {
        const attr = node.tagName === 'a' ? 'href' : 'src';
        const v = node.properties?.[attr];
        if (typeof v === 'string' && withBase(base, v) !== v) ctx.setProperty(node, attr, withBase(base, v));
      },
    },
    // An empty filter visits every component.
    mdxJsxFlowElement: { filter: [], visit: visitComponent },
    mdxJsxTextElement: { filter: [], visit: visitComponent },
  };
}
