import { describe, expect, it } from 'vitest';

// A JavaScript module (astro.config.mjs imports it), checked by the site's tsconfig; typed here by hand.
const MODULE = '../../../src/lib/base-links.mjs';
const { baseLinks, withBase } = (await import(MODULE)) as {
  baseLinks: (base: string) => unknown;
  withBase: (base: string, href: string) => string;
};

describe('withBase', () => {
  const base = '/user/ada/tutorial/';

  it('puts the base in front of a root-relative link', () => {
    expect(withBase(base, '/chapters/x/')).toBe('/user/ada/tutorial/chapters/x/');
    expect(withBase(base, '/diagrams/stack.svg')).toBe('/user/ada/tutorial/diagrams/stack.svg');
    expect(withBase('/user/ada/tutorial', '/progress/#a')).toBe('/user/ada/tutorial/progress/#a');
  });

  it('leaves other links, and links that have it already, as they are', () => {
    for (const href of ['chapters/x/', '#step', '//cdn.example/x', 'https://example.org/', '/user/ada/tutorial/x/', '/user/ada/tutorial']) {
      expect(withBase(base, href)).toBe(href);
    }
  });

  it('changes nothing with the base "/" (and then there is no Markdown plugin)', () => {
    expect(withBase('/', '/chapters/x/')).toBe('/chapters/x/');
    expect(baseLinks('/')).toBeNull();
    expect(baseLinks(base)).not.toBeNull();
  });
});
