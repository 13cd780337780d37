import type { CheckResult, Evidence } from '../../protocol/result.ts';

/** One part of a probe's check, or a falsy value for a part the spec does not ask for. */
export type Step = (() => Promise<CheckResult>) | false | undefined | null | '' | 0;

/**
 * Runs the parts of a probe's check in order and stops at the first that fails. A failure keeps
 * the evidence of the parts that passed before it; a success joins every part's sentence and
 * evidence.
 */
export async function runSteps(steps: readonly Step[]): Promise<CheckResult> {
  const found: string[] = [];
  const evidence: Evidence[] = [];
  for (const step of steps) {
    if (!step) continue;
    const r = await step();
    if (!r.ok) return { ...r, evidence: [...evidence, ...r.evidence] };
    found.push(r.message);
    evidence.push(...r.evidence);
  }
  return { ok: true, message: found.join(' '), evidence };
}
