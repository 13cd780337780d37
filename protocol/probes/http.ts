import * as z from 'zod';
import { probeBase } from './common.ts';
import { expectedValue } from './file.ts';

/** Sends one HTTP request and looks at the status, the JSON and the text of the answer. */
export const httpProbe = z.strictObject({
  kind: z.literal('http'),
  /** The URL, usually from a placeholder: `{{es}}/_cluster/health`. */
  url: z.string().min(1),
  method: z.enum(['GET', 'POST', 'PUT', 'HEAD', 'DELETE']).default('GET'),
  /** Request headers. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Request body: a string is sent as is, anything else as JSON. */
  requestBody: z.unknown().optional(),
  /** The status (or statuses) that pass; without it, any 2xx status passes. */
  status: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  /** JSON keys of the answer: dotted key path (`version.number`, `hits.0._id`) → expected value. */
  json: z.record(z.string(), expectedValue).optional(),
  /** A regular expression the body must match. */
  body: z.string().optional(),
  /** A regular expression the body must not match. */
  notBody: z.string().optional(),
  /** What answers there, for messages: "Elasticsearch". */
  name: z.string().optional(),
  ...probeBase,
});
export type HttpProbe = z.output<typeof httpProbe>;
