import * as z from 'zod';
import type { WorkshopState } from './hub.ts';
import { run } from './image.ts';

/**
 * What `npm run workshop -- status` (and `up`, waiting for the hub) reads about the class: the
 * progress service's view of each learner, and the workshop's containers.
 */

const ChapterSchema = z.object({ id: z.string(), title: z.string(), steps: z.number(), passed: z.array(z.string()) });
const LearnersSchema = z.object({
  learners: z.array(
    z.object({
      name: z.string(),
      server: z.string(),
      last_activity: z.string().nullable().optional(),
      reported: z.string().nullable().optional(),
      passed: z.number(),
      steps: z.number(),
      chapters: z.array(ChapterSchema),
    }),
  ),
});
export type Learners = z.output<typeof LearnersSchema>['learners'];

/** The progress service's view of the class (undefined while it does not answer). */
export async function progressService(state: WorkshopState): Promise<Learners | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${state.port}/services/progress/api/learners`, {
      headers: { Authorization: `token ${state.cliToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) return undefined;
    return LearnersSchema.parse(await r.json()).learners;
  } catch {
    return undefined;
  }
}

/** The workshop's containers (running or not), by their label. */
export async function containers(name: string): Promise<{ name: string; state: string }[]> {
  const r = await run('docker', ['ps', '-a', '--filter', `label=tutorial.workshop=${name}`, '--format', '{{.Names}}\t{{.State}}']);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [n = '', s = ''] = l.split('\t');
      return { name: n, state: s };
    });
}
