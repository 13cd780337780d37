import type { CheckResult, Diagnosis, Evidence } from '../../protocol/result.ts';
import { clip, lastLines } from '../words.ts';
import { ev } from './evidence.ts';
import { type DiagnosisContext, SIGNATURES, type Signature, TERMINAL_EXIT, TERMINAL_OUTPUT } from './signatures.ts';

export type { DiagnosisContext } from './signatures.ts';

/**
 * The first known failure whose pattern matches the evidence it reads, or undefined. Each piece
 * of evidence is tried in order against every signature whose `where` matches its label.
 */
export function diagnose(
  evidence: readonly Evidence[],
  signatures: readonly Signature[] = SIGNATURES,
  context: DiagnosisContext = {},
): Diagnosis | undefined {
  // Evidence first: probes list the evidence of their first failure first, and within one
  // piece of evidence the signatures' order decides.
  for (const e of evidence) {
    for (const sig of signatures) {
      if (!sig.where.test(e.label)) continue;
      const m = sig.pattern.exec(e.text);
      if (!m) continue;
      const group = m.slice(1).find((g) => g !== undefined) ?? '';
      const fill = (s: Signature['cause']) => (typeof s === 'function' ? s(group, context) : s.replaceAll('{1}', group));
      return { id: sig.id, cause: fill(sig.cause), fix: fill(sig.fix) };
    }
  }
  return undefined;
}

/**
 * A failed result with its diagnosis: when the evidence matches a known failure, sets
 * `diagnosis` and puts its cause and fix before the hint. A passed result is returned as is.
 */
export function withDiagnosis(
  result: CheckResult,
  signatures: readonly Signature[] = SIGNATURES,
  context: DiagnosisContext = {},
): CheckResult {
  if (result.ok || result.diagnosis) return result;
  const d = diagnose(result.evidence, signatures, context);
  if (!d) return result;
  const hint = [d.cause, d.fix, result.hint].filter(Boolean).join(' ');
  return { ...result, diagnosis: d, hint };
}

/** A command the tutorial typed into the learner's terminal that ended with a status other than 0. */
export interface FailedCommand {
  command: string;
  exitCode: number;
  /** What the terminal showed while it ran (escape sequences and all). */
  output: string;
}

/** Terminal output as text: no colours, cursor moves or titles, no carriage returns. */
function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]|\r/g, '');
}

/**
 * The step's check result after one of its commands failed in the terminal. What the terminal
 * showed comes first in the evidence, so its cause wins: a command that was not found names the
 * step that installs it (or says that this terminal does not use the virtualenv yet), and a
 * command stopped with Ctrl-C says that the learner interrupted it instead of what the check
 * found missing (the check's own words stay in the evidence). A check that passes anyway stays
 * passed.
 */
export function explainFailedCommand(result: CheckResult, failed: FailedCommand, context: DiagnosisContext = {}): CheckResult {
  if (result.ok) return result;
  const shown = `\`${failed.command}\``;
  const terminal = [
    ev(TERMINAL_EXIT, String(failed.exitCode)),
    ev(`${TERMINAL_OUTPUT} of ${shown} (last 40 lines)`, clip(lastLines(plain(failed.output), 40))),
  ];
  const d = diagnose(terminal, SIGNATURES, context);
  const found = ev('What the check found', result.message);
  if (!d) return { ...result, evidence: [...terminal, ...result.evidence] };
  const missing = d.id === 'command-not-found' ? /bash: (?:line \d+: )?([^\s:]+): /.exec(plain(failed.output))?.[1] : undefined;
  const message =
    d.id === 'interrupted'
      ? `You interrupted ${shown} (Ctrl-C) before it finished, so this step is not done yet.`
      : missing
        ? `${shown} did not run: this terminal has no program called ${missing}.`
        : result.message;
  const hint = `${d.cause} ${d.fix}`;
  const evidence = message === result.message ? [...terminal, ...result.evidence] : [...terminal, found, ...result.evidence];
  return { ...result, message, hint, diagnosis: d, evidence };
}
