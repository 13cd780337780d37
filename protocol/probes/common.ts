import * as z from 'zod';

/**
 * Fields every probe kind accepts. Strings in probe specs may use placeholders that the
 * server fills in before running: {{es}}, {{kibana}}, {{mlflow}}, {{fluentd_monitor}},
 * {{adminer}}, {{s3}} (service base URLs), {{fluentd_host}} and {{fluentd_port}} (fluentd's forward
 * input), {{workspace}} (the learner's folder) and {{marker}} (the unique marker of the step's
 * current attempt). The addresses follow the workspace's compose/.env.
 */
export const probeBase = {
  /** Seconds before the probe gives up with a timeout message. */
  timeout: z.number().positive().max(300).optional(),
  /** A sentence for the learner that replaces the probe's own failure message. */
  message: z.string().optional(),
};

/**
 * A TCP port: a number, or a placeholder that names one (`"{{fluentd_port}}"`), so a check follows
 * the port the learner set in compose/.env.
 */
export const portOrPlaceholder = z.union([
  z.number().int().min(1).max(65535),
  z.string().regex(/^\{\{\s*[a-z_]+_port\s*\}\}$/, 'a port number, or a placeholder such as "{{fluentd_port}}"'),
]);
