import * as z from 'zod';
import { commandProbe } from './command.ts';
import { containerProbe } from './container.ts';
import { dvcProbe } from './dvc.ts';
import { elasticsearchProbe } from './elasticsearch.ts';
import { fileProbe } from './file.ts';
import { fluentdProbe } from './fluentd.ts';
import { httpProbe } from './http.ts';
import { kibanaProbe } from './kibana.ts';
import { mlflowProbe } from './mlflow.ts';
import { preflightProbe } from './preflight.ts';
import { tcpProbe } from './tcp.ts';

/**
 * Every probe kind. Add a kind: write protocol/probes/<kind>.ts with its schema, add it
 * here, and write server/checks/probes/<kind>.ts with its `run`.
 */
export const probeSchemas = [
  commandProbe,
  fileProbe,
  tcpProbe,
  httpProbe,
  containerProbe,
  preflightProbe,
  elasticsearchProbe,
  kibanaProbe,
  fluentdProbe,
  mlflowProbe,
  dvcProbe,
] as const;

export const ProbeSchema = z.discriminatedUnion('kind', probeSchemas);
export type Probe = z.output<typeof ProbeSchema>;
export type ProbeKind = Probe['kind'];

/** A check: one probe, or all / any of a list of checks. */
export const CheckSchema = z.union([
  ProbeSchema,
  z.strictObject({
    get all() {
      return z.array(CheckSchema).min(1);
    },
    message: z.string().optional(),
  }),
  z.strictObject({
    get any() {
      return z.array(CheckSchema).min(1);
    },
    message: z.string().optional(),
  }),
]);
export type Check = z.output<typeof CheckSchema>;
