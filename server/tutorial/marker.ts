import { randomBytes } from 'node:crypto';

/**
 * A short token unique to one attempt of a step, e.g. `ds-python-logging-send-3fa9c2d1`. A
 * step's script logs it and the check searches for that very token, so an old record never
 * makes a new attempt pass. Lowercase letters, digits and dashes only: safe in an Elasticsearch
 * `q=` query string, in a URL and in a shell argument without quoting. Elasticsearch's standard
 * analyzer splits on dashes, so checks should search the token as a phrase (`q="<marker>"`).
 */
export function newMarker(chapter: string, step: string): string {
  const part = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24);
  const words = [part(chapter.split('/').pop() ?? chapter), part(step)].filter(Boolean);
  return ['ds', ...words, randomBytes(4).toString('hex')].join('-');
}

/** True when a string has the shape of a marker made by `newMarker`. */
export function isMarker(s: string): boolean {
  return /^ds(-[a-z0-9]+)*-[0-9a-f]{8}$/.test(s);
}
