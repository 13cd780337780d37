import * as z from 'zod';
import { probeBase } from './common.ts';

/**
 * Asks the MLflow tracking server over its REST API. Give any of the fields below; they are
 * checked in the order listed and the first one that fails decides the result. The run fields
 * (`param`, `metric`, `artifact`, `proxiedArtifacts`) look at the newest run of `experiment`,
 * or, with `marker`, the newest run tagged `tutorial.marker` with that value.
 *
 * ```yaml
 * - { kind: mlflow, health: true }
 * - { kind: mlflow, experiment: my-simple-experiment, marker: "{{marker}}",
 *     param: { key: param1 }, metric: { key: foo, atLeastPoints: 3 }, artifact: test.txt,
 *     proxiedArtifacts: true }
 * ```
 */
export const mlflowProbe = z
  .strictObject({
    kind: z.literal('mlflow'),
    /** Base URL of the tracking server; defaults to {{mlflow}}. */
    url: z.string().optional(),
    /** `GET /health` must answer `OK`. */
    health: z.boolean().optional(),
    /** An experiment with this name must exist; the run fields look inside it. */
    experiment: z.string().min(1).optional(),
    /** Only runs whose tag `tutorial.marker` equals this count (usually "{{marker}}"). */
    marker: z.string().min(1).optional(),
    /** The run must have logged this parameter, with this value when `value` is given. */
    param: z.strictObject({ key: z.string().min(1), value: z.string().optional() }).optional(),
    /** The run must have logged this metric: its last value equal to `value`, and at least `atLeastPoints` points in its history. */
    metric: z
      .strictObject({
        key: z.string().min(1),
        value: z.number().optional(),
        atLeastPoints: z.number().int().positive().optional(),
      })
      .optional(),
    /** This artifact path (a file, or a folder with something in it) must be listed in the run's artifacts. */
    artifact: z.string().min(1).optional(),
    /** The run's artifact_uri must be proxied by the server (`mlflow-artifacts:`), not a local `file://` path. */
    proxiedArtifacts: z.boolean().optional(),
    ...probeBase,
  })
  .refine((s) => s.health || s.experiment, { message: 'Give health, experiment or both.' })
  .refine((s) => s.experiment || !(s.marker || s.param || s.metric || s.artifact || s.proxiedArtifacts), {
    message: 'marker, param, metric, artifact and proxiedArtifacts look at a run, so they need experiment.',
  });
export type MlflowProbe = z.output<typeof mlflowProbe>;
