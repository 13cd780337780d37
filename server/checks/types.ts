import type * as z from 'zod';
import type { ProbeKind, probeSchemas } from '../../protocol/probes/index.ts';
import type { CheckResult } from '../../protocol/result.ts';
import type { Endpoints } from '../stack/endpoints.ts';

/** What a probe may use while it runs. */
export interface ProbeContext {
  /** The learner's workspace folder (absolute). */
  workspace: string;
  /** Where the services are. */
  endpoints: Endpoints;
  /** The unique marker of the step's current attempt, when there is one. */
  marker?: string;
  /** When the step's current attempt started (its first command was typed), in ms since the epoch, when there is one. */
  attemptStartedAt?: number;
  /** Aborted when the probe's deadline passes; pass it to every request and child process. */
  signal: AbortSignal;
  /** The probe's deadline in milliseconds (for messages). */
  timeoutMs: number;
  /** Environment for child processes: PATH includes the learner's virtualenv when there is one. */
  env: NodeJS.ProcessEnv;
}

/** One probe kind: its schema (from protocol/probes) and how to run it. */
export interface ProbeModule<S extends z.ZodType = z.ZodType> {
  /** The kind's name, the `kind` literal of its schema. */
  kind: z.output<S> extends { kind: infer K extends string } ? K : string;
  schema: S;
  /** Default deadline in seconds when the spec gives none. */
  defaultTimeout: number;
  /** Runs the probe. Returns a result for every outcome a learner can cause; throws only on a bug. */
  run(spec: z.output<S>, ctx: ProbeContext): Promise<CheckResult>;
}

/** The schema of probe kind K, as listed in protocol/probes/index.ts. */
type ProbeSchemaOf<K extends ProbeKind> = Extract<(typeof probeSchemas)[number], { shape: { kind: z.ZodLiteral<K> } }>;

/**
 * One module for every probe kind of protocol/probes/index.ts, under its kind. A kind without a
 * module, a module without a kind, or a module under another kind's name does not compile.
 */
export type ProbeRegistry = { readonly [K in ProbeKind]: ProbeModule<ProbeSchemaOf<K>> };
