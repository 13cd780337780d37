import * as z from 'zod';
import { probeBase } from './common.ts';

/** Kibana's service status levels (`.status.overall.level` of `GET /api/status`). */
export const kibanaLevel = z.enum(['available', 'degraded', 'unavailable', 'critical']);

/**
 * Asks Kibana over its HTTP API: its overall status, and whether a data view exists. Give
 * `status`, `dataView` or both; status is checked first.
 *
 * ```yaml
 * - { kind: kibana, status: [available] }
 * - { kind: kibana, dataView: "logstash-*" }
 * ```
 */
export const kibanaProbe = z
  .strictObject({
    kind: z.literal('kibana'),
    /** Base URL of Kibana; defaults to {{kibana}}. */
    url: z.string().optional(),
    /** `GET /api/status` must report one of these overall levels. */
    status: z.array(kibanaLevel).min(1).optional(),
    /** A data view with this title (its index pattern, e.g. `logstash-*`) must exist (`GET /api/data_views`). */
    dataView: z.string().min(1).optional(),
    ...probeBase,
  })
  .refine((s) => s.status || s.dataView, { message: 'Give status, dataView or both.' });
