import * as z from 'zod';
import { probeBase } from './common.ts';

/** An Elasticsearch cluster health status. */
export const esHealthStatus = z.enum(['green', 'yellow', 'red']);

/**
 * Asks Elasticsearch over its HTTP API. Give one or more of `health`, `index`, `query` and
 * `major`; they are checked in that order and the first one that fails decides the result.
 *
 * ```yaml
 * - { kind: elasticsearch, health: [green, yellow] }
 * - { kind: elasticsearch, index: "logstash-*" }
 * - { kind: elasticsearch, index: "logstash-*", query: '"{{marker}}"', atLeast: 1 }
 * - { kind: elasticsearch, major: 8 }
 * ```
 */
export const elasticsearchProbe = z
  .strictObject({
    kind: z.literal('elasticsearch'),
    /** Base URL of Elasticsearch; defaults to {{es}}. */
    url: z.string().optional(),
    /** `GET /_cluster/health` must report one of these statuses. */
    health: z.array(esHealthStatus).min(1).optional(),
    /** An index name or pattern (`logstash-*`) of which at least one index must exist; also where `query` counts. */
    index: z.string().min(1).optional(),
    /** A query string (`q=` syntax, may use {{marker}}); `GET /<index>/_count?q=...` must count at least `atLeast` documents. */
    query: z.string().min(1).optional(),
    /** The least number of documents `query` must find. */
    atLeast: z.number().int().nonnegative().default(1),
    /** The major version `GET /` must report in `version.number` (fluentd's client gem must match it). */
    major: z.number().int().positive().optional(),
    ...probeBase,
  })
  .refine((s) => s.health || s.index || s.query || s.major, {
    message: 'Give at least one of health, index, query or major.',
  });
export type ElasticsearchProbe = z.output<typeof elasticsearchProbe>;
