import { getCollection } from 'astro:content';
import type { StarlightRouteData } from '@astrojs/starlight/route-data';
import { type ChapterSummary, chapterId, parseDuration, type Step } from '../../protocol/content.ts';

export { chapterId };

type SidebarEntry = StarlightRouteData['sidebar'][number];

function links(entries: SidebarEntry[]): string[] {
  return entries.flatMap((e) => (e.type === 'link' ? [e.href] : links(e.entries)));
}

/**
 * The chapters that have steps, in the order the sidebar lists them (so the overview page and
 * the sidebar never disagree); the sidebar writes them as a JSON island for the page's code.
 */
export async function chaptersInSidebarOrder(sidebar: SidebarEntry[]): Promise<ChapterSummary[]> {
  const entries = await getCollection('docs');
  const byHref = new Map<string, ChapterSummary>();
  for (const e of entries) {
    const steps = (e.data as { steps?: Step[] }).steps ?? [];
    if (steps.length === 0) continue;
    const href = `${import.meta.env.BASE_URL.replace(/\/?$/, '/')}${e.id}/`;
    byHref.set(href, { id: chapterId(e.id), title: e.data.title, href, steps: steps.map((s) => ({ id: s.id, title: s.title })) });
  }
  const out: ChapterSummary[] = [];
  for (const href of links(sidebar)) {
    const c = byHref.get(href);
    if (c && !out.includes(c)) out.push(c);
  }
  return out;
}

/** "5s" → "about 5 seconds", "1m30s" → "about 1 min 30 s": the expected duration, for people. */
export function humanDuration(duration: string): string {
  const { minutes: min, seconds: sec } = parseDuration(duration);
  if (min === 0) return `about ${sec} second${sec === 1 ? '' : 's'}`;
  if (sec === 0) return `about ${min} minute${min === 1 ? '' : 's'}`;
  return `about ${min} min ${sec} s`;
}
