import { compareChapters } from './content.ts';

/**
 * What chapters need from earlier chapters (the `needs` of their frontmatter), checked across
 * chapters and put in the order a catch-up runs them. Shared by the server's loader, the site's
 * build (astro.config.mjs refuses a bad need) and the page's needs panel.
 */

/** What this module reads of a chapter: its place, its needs and its steps' ids (and checks, to refuse an unprovable need). */
export interface NeedsChapter {
  id: string;
  order?: number;
  needs: readonly string[];
  steps: readonly { id: string; check?: unknown }[];
}

/** A needed step: its chapter and its id. */
export interface NeededStep {
  chapter: string;
  step: string;
}

/** A problem with one chapter's need, at `needs.<index>`. */
export interface NeedProblem {
  chapter: string;
  index: number;
  /** A full sentence: what is wrong and what to write instead. */
  text: string;
}

/** `chapter/step` as its two parts. */
export function splitStepRef(ref: string): NeededStep {
  const cut = ref.indexOf('/');
  return { chapter: ref.slice(0, cut), step: ref.slice(cut + 1) };
}

/**
 * Every need that points nowhere, or at something a catch-up cannot use: an unknown chapter or
 * step, the chapter itself or a later one (a chapter builds only on earlier ones, so needs never
 * go round in a circle), or a step whose check looks for its own attempt's {{marker}} (which says
 * nothing about the workspace later).
 */
export function needsProblems(chapters: readonly NeedsChapter[]): NeedProblem[] {
  const byId = new Map(chapters.map((c) => [c.id, c]));
  const problems: NeedProblem[] = [];
  for (const c of chapters) {
    for (const [index, ref] of c.needs.entries()) {
      const say = (text: string) => problems.push({ chapter: c.id, index, text });
      const { chapter, step } = splitStepRef(ref);
      const other = byId.get(chapter);
      if (!other) {
        say(`there is no chapter "${chapter}"; chapters: ${chapters.map((x) => x.id).join(', ')}.`);
        continue;
      }
      const target = other.steps.find((s) => s.id === step);
      if (!target) {
        say(`the chapter "${chapter}" has no step "${step}"; its steps: ${other.steps.map((s) => s.id).join(', ') || 'none'}.`);
      } else if (other === c) {
        say(`"${ref}" is a step of this chapter; a chapter needs only steps of earlier chapters (its own run before each step anyway).`);
      } else if (compareChapters(other, c) > 0) {
        say(`"${chapter}" comes after this chapter in the sidebar; a chapter can only need steps of earlier chapters.`);
      } else if (JSON.stringify(target.check ?? null).includes('{{marker}}')) {
        say(
          `the check of "${ref}" looks for its own attempt's {{marker}}, so it cannot tell later whether the step is in place; need a step whose check looks at the workspace or the stack.`,
        );
      }
    }
  }
  return problems;
}

/**
 * The steps a chapter needs, with the needs of their chapters, each once, in the order a learner
 * would have done them (chapter order, then step order). Needs that point nowhere are left out
 * (needsProblems reports them).
 */
export function neededSteps(chapters: readonly NeedsChapter[], chapterId: string): NeededStep[] {
  const byId = new Map(chapters.map((c) => [c.id, c]));
  const found = new Map<string, NeededStep>();
  const visit = (id: string, path: Set<string>) => {
    const c = byId.get(id);
    if (!c || path.has(id)) return;
    path.add(id);
    for (const ref of c.needs) {
      const need = splitStepRef(ref);
      const other = byId.get(need.chapter);
      if (!other?.steps.some((s) => s.id === need.step) || need.chapter === id) continue;
      visit(need.chapter, path);
      found.set(ref, need);
    }
    path.delete(id);
  };
  visit(chapterId, new Set());
  // Only with bad needs (which needsProblems refuses) could the chapter's own steps come round.
  for (const [ref, n] of found) if (n.chapter === chapterId) found.delete(ref);
  const place = (n: NeededStep) => byId.get(n.chapter)!.steps.findIndex((s) => s.id === n.step);
  return [...found.values()].sort((a, b) => compareChapters(byId.get(a.chapter)!, byId.get(b.chapter)!) || place(a) - place(b));
}
