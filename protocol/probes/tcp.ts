import * as z from 'zod';
import { portOrPlaceholder, probeBase } from './common.ts';

/**
 * Whether a TCP port accepts connections. It only proves that something listens: a port that
 * accepts and then never answers needs an `http` probe.
 */
export const tcpProbe = z.strictObject({
  kind: z.literal('tcp'),
  /** The host; the stack publishes its ports on 127.0.0.1. */
  host: z.string().min(1).default('127.0.0.1'),
  /** The port, or a placeholder for one of the stack's: `"{{fluentd_port}}"`. */
  port: portOrPlaceholder,
  /** False: the port must be closed (nothing listens). */
  open: z.boolean().default(true),
  /** What listens there, for messages: "fluentd's forward input". */
  name: z.string().optional(),
  ...probeBase,
});
export type TcpProbe = z.output<typeof tcpProbe>;
