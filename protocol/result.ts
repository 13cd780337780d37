import * as z from 'zod';

/** One piece of evidence a probe gathered: an HTTP status, an exit code, log lines. */
export const EvidenceSchema = z.object({
  /** What this is, for a learner: "HTTP status", "Container logs (last 20 lines)". */
  label: z.string(),
  /** The raw text, shown folded under a disclosure. */
  text: z.string(),
});
export type Evidence = z.output<typeof EvidenceSchema>;

/** A known failure recognised in the evidence of a failed check (see server/checks/diagnosis). */
export const DiagnosisSchema = z.object({
  /** Stable id of the signature, e.g. "es-max-map-count". */
  id: z.string(),
  /** What went wrong, as a full sentence. */
  cause: z.string(),
  /** What to do next, as a full sentence, usually naming a command. */
  fix: z.string(),
});
export type Diagnosis = z.output<typeof DiagnosisSchema>;

/** The outcome of a check or of one probe. A failed check is a result, never an exception. */
export const CheckResultSchema = z.object({
  ok: z.boolean(),
  /** A full sentence for the learner: what was found. */
  message: z.string(),
  /** What to try next when the check failed. */
  hint: z.string().optional(),
  evidence: z.array(EvidenceSchema).default([]),
  /** Set when the evidence matched a known failure. */
  diagnosis: DiagnosisSchema.optional(),
  /** How long the check took, in milliseconds. */
  durationMs: z.number().nonnegative().optional(),
});
export type CheckResult = z.output<typeof CheckResultSchema>;
