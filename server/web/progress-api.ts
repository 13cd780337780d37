import type { ServerResponse } from 'node:http';
import * as z from 'zod';
import type { ProgressSnapshot } from '../../protocol/messages.ts';
import type { ContentIndex } from '../tutorial/content.ts';

/**
 * What `GET /api/progress` answers in workshop mode: the steps passed per chapter, for the
 * instructor's view on the hub (workshop/hub/progress_service.py reads it through each learner's
 * Jupyter server, which lets only that learner and the hub's progress service in).
 */
export const ProgressSummarySchema = z.object({
  chapters: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      /** How many steps the chapter has. */
      steps: z.number().int(),
      /** The ids of the steps that passed (a stale pass does not count), in chapter order. */
      passed: z.array(z.string()),
      /** ISO time of the last change to any of the chapter's steps. */
      updated: z.string().optional(),
    }),
  ),
});
export type ProgressSummary = z.output<typeof ProgressSummarySchema>;

/** The steps passed per chapter, from the progress snapshot. */
export function progressSummary(content: ContentIndex, progress: ProgressSnapshot): ProgressSummary {
  return {
    chapters: content.chapters.map((c) => {
      const mine = progress[c.id] ?? {};
      const times = Object.values(mine)
        .map((p) => p.at)
        .filter((t): t is string => typeof t === 'string')
        .sort();
      const updated = times.at(-1);
      return {
        id: c.id,
        title: c.title,
        steps: c.steps.length,
        passed: c.steps.filter((s) => mine[s.id]?.state === 'passed').map((s) => s.id),
        ...(updated ? { updated } : {}),
      };
    }),
  };
}

/** Answers `GET /api/progress` with the summary as JSON. */
export function sendProgress(res: ServerResponse, summary: ProgressSummary): void {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(JSON.stringify(summary));
}
