import { z } from 'zod';

/**
 * Fields every probe kind accepts. Strings in probe specs may use placeholders that the
 * server fills in before running: {{es}}, {{kibana}}, {{mlflow}}, {{fluentd_monitor}},
 * {{adminer}} (service base URLs), {{workspace}} (the learner's folder) and {{marker}}
 * (the unique marker of the step's current attempt).
 */
export const probeBase = {
  /** Seconds before the probe gives up with a timeout message. */
  timeout: z.number().positive().max(300).optional(),
  /** A sentence for the learner that replaces the probe's own failure message. */
  message: z.string().optional(),
};
