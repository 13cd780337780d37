import * as z from 'zod';
import { probeBase } from './common.ts';

/**
 * Asks fluentd's monitor_agent (`GET /api/plugins.json`) about one output plugin: that it is
 * loaded, that it is delivering (no retry in progress: its `retry` object is empty), and
 * optionally that it has taken records and has no backlog. monitor_agent's `retry_count` is not a
 * verdict: it counts the errors since fluentd started and never goes back to 0, so after an
 * outage that fluentd has recovered from it stays above 0 while everything is delivered.
 *
 * ```yaml
 * - { kind: fluentd, type: elasticsearch }
 * - { kind: fluentd, id: out_es, minEmitRecords: 1, maxBufferQueueLength: 0 }
 * ```
 */
export const fluentdProbe = z.strictObject({
  kind: z.literal('fluentd'),
  /** Base URL of the monitor_agent; defaults to {{fluentd_monitor}}. */
  url: z.string().optional(),
  /** The output plugin's `@id` (monitor_agent's `plugin_id`); when given, the plugin is found by it. */
  id: z.string().min(1).optional(),
  /** The output plugin's `@type`; the first output plugin of this type is used when `id` is not given. */
  type: z.string().min(1).default('elasticsearch'),
  /** The most chunks the plugin may hold in its queue (`buffer_queue_length`); unchecked when absent. */
  maxBufferQueueLength: z.number().int().nonnegative().optional(),
  /** The least records the plugin must have received (`emit_records`); unchecked when absent. */
  minEmitRecords: z.number().int().nonnegative().optional(),
  ...probeBase,
});
export type FluentdProbe = z.output<typeof fluentdProbe>;
