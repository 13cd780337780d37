import type { CheckResult, Diagnosis, Evidence } from '../../protocol/result.ts';
import { SIGNATURES, type Signature } from './signatures.ts';

/**
 * The first known failure whose pattern matches the evidence it reads, or undefined. Each piece
 * of evidence is tried in order against every signature whose `where` matches its label.
 */
export function diagnose(evidence: readonly Evidence[], signatures: readonly Signature[] = SIGNATURES): Diagnosis | undefined {
  // Evidence first: probes list the evidence of their first failure first, and within one
  // piece of evidence the signatures' order decides.
  for (const e of evidence) {
    for (const sig of signatures) {
      if (!sig.where.test(e.label)) continue;
      const m = sig.pattern.exec(e.text);
      if (!m) continue;
      const group = m.slice(1).find((g) => g !== undefined) ?? '';
      const fill = (s: Signature['cause']) => (typeof s === 'function' ? s(group) : s.replaceAll('{1}', group));
      return { id: sig.id, cause: fill(sig.cause), fix: fill(sig.fix) };
    }
  }
  return undefined;
}

/**
 * A failed result with its diagnosis: when the evidence matches a known failure, sets
 * `diagnosis` and puts its cause and fix before the hint. A passed result is returned as is.
 */
export function withDiagnosis(result: CheckResult, signatures: readonly Signature[] = SIGNATURES): CheckResult {
  if (result.ok || result.diagnosis) return result;
  const d = diagnose(result.evidence, signatures);
  if (!d) return result;
  const hint = [d.cause, d.fix, result.hint].filter(Boolean).join(' ');
  return { ...result, diagnosis: d, hint };
}
