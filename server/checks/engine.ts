import type { Check, Probe } from '../../protocol/probes/index.ts';
import type { CheckResult } from '../../protocol/result.ts';
import type { Endpoints } from '../stack/endpoints.ts';
import { isAbort, seconds } from '../words.ts';
import { withDiagnosis } from './diagnosis.ts';
import { fillPlaceholders, MissingMarkerError, placeholderValues } from './placeholders.ts';
import { probeModules } from './probes/index.ts';
import type { ProbeContext, ProbeModule, ProbeRegistry } from './types.ts';

/** What a check needs to run: where the services and the workspace are, and the attempt's marker. */
export interface RunCheckOptions {
  /** The learner's workspace folder (absolute); commands run there and {{workspace}} names it. */
  workspace: string;
  /** Where the services are (server/stack/endpoints.ts). */
  endpoints: Endpoints;
  /** The unique marker of the step's current attempt ({{marker}}); absent before the first run. */
  marker?: string;
  /** When the step's current attempt started, in ms since the epoch (a `fresh` file must be newer); absent before the first run. */
  attemptStartedAt?: number;
  /** Environment for child processes; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cancels the whole check (the page went away, the chapter run was stopped). */
  signal?: AbortSignal;
  /** Modules to run in place of the registry's (probes/index.ts), by kind: tests pass fakes. */
  modules?: Partial<ProbeRegistry>;
}

/** How long a probe may take after its deadline to report the timeout itself. */
const ABORT_GRACE_MS = 1000;

type Composite = { all: Check[]; message?: string } | { any: Check[]; message?: string };

/**
 * Runs a check (one probe, or all / any of a list of checks) and returns its result; never
 * rejects for anything a learner can cause. A failed result carries the evidence of every probe
 * that ran and, when the evidence matches a known failure, a diagnosis.
 */
export async function runCheck(check: Check, options: RunCheckOptions): Promise<CheckResult> {
  return withDiagnosis(await runNode(check, options));
}

async function runNode(check: Check, options: RunCheckOptions): Promise<CheckResult> {
  if ('kind' in check) return runProbe(check, options);
  const started = performance.now();
  const c = check as Composite;
  const results: CheckResult[] = [];
  let outcome: CheckResult | undefined;
  if ('all' in c) {
    // Every part runs, even after a failure: a later probe's evidence (container logs, say)
    // is often what explains an earlier failure.
    for (const part of c.all) results.push(await runNode(part, options));
    const failed = results.find((r) => !r.ok);
    outcome = failed
      ? { ...failed, message: c.message ?? failed.message, evidence: results.flatMap((r) => r.evidence), diagnosis: undefined }
      : { ok: true, message: results.map((r) => r.message).join(' '), evidence: results.flatMap((r) => r.evidence) };
  } else {
    for (const part of c.any) {
      const r = await runNode(part, options);
      results.push(r);
      if (r.ok) {
        outcome = r;
        break;
      }
    }
    if (!outcome) {
      const first = results[0]!;
      outcome = { ...first, message: c.message ?? first.message, evidence: results.flatMap((r) => r.evidence), diagnosis: undefined };
    }
  }
  return { ...stripUndefined(outcome), durationMs: Math.round(performance.now() - started) };
}

/**
 * Runs one probe: fills its placeholders, gives it a deadline (the spec's `timeout`, else the
 * kind's default) and turns a missed deadline into a failed result that says so. An exception
 * that is not the deadline is a bug and propagates.
 */
export async function runProbe(probe: Probe, options: RunCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const done = (r: CheckResult): CheckResult => {
    const out =
      !r.ok && probe.message ? { ...r, message: probe.message, evidence: [...r.evidence, { label: 'Probe message', text: r.message }] } : r;
    return { ...stripUndefined(out), durationMs: Math.round(performance.now() - started) };
  };
  const mod: ProbeModule = options.modules?.[probe.kind] ?? probeModules[probe.kind];

  let spec: Probe;
  try {
    spec = fillPlaceholders(probe, placeholderValues(options.endpoints, options.workspace, options.marker));
  } catch (err) {
    if (!(err instanceof MissingMarkerError)) throw err;
    return done({
      ok: false,
      message: 'This check looks for data from your latest run of the step, and the step has not been run yet in this session.',
      hint: "Press Run on the step's commands first, then check again.",
      evidence: [],
    });
  }

  const timeoutMs = (spec.timeout ?? mod.defaultTimeout) * 1000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const ctx: ProbeContext = {
    workspace: options.workspace,
    endpoints: options.endpoints,
    marker: options.marker,
    ...(options.attemptStartedAt !== undefined ? { attemptStartedAt: options.attemptStartedAt } : {}),
    signal,
    timeoutMs,
    env: options.env ?? process.env,
  };
  const timedOut = (): CheckResult => {
    if (options.signal?.aborted && !deadline.aborted) {
      return { ok: false, message: 'The check was cancelled before it finished.', evidence: [] };
    }
    return {
      ok: false,
      message: `The ${probe.kind} check did not answer within ${seconds(timeoutMs)}.`,
      hint: 'The service may still be starting or may be stuck; check again in a moment, and look at its logs if it stays like this.',
      evidence: [],
    };
  };

  // The race guards against a probe that forgets its signal: the check still ends on time. A
  // probe that honours the signal gets a short grace to answer with its own, more precise
  // timeout message (and to stop its child processes).
  let onAbort: (() => void) | undefined;
  let grace: NodeJS.Timeout | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => {
      grace = setTimeout(() => resolve('aborted'), ABORT_GRACE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const r = await Promise.race([mod.run(spec, ctx), aborted]);
    return done(r === 'aborted' ? timedOut() : r);
  } catch (err) {
    if (signal.aborted && isAbort(err)) return done(timedOut());
    throw err;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    clearTimeout(grace);
  }
}

function stripUndefined(r: CheckResult): CheckResult {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as CheckResult;
}
