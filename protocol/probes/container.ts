import * as z from 'zod';
import { probeBase } from './common.ts';

/**
 * The state of a compose service's container, through the Docker Engine API. Without any
 * expectation the container must be running.
 */
export const containerProbe = z.strictObject({
  kind: z.literal('container'),
  /** The compose service name (label com.docker.compose.service). */
  service: z.string().min(1),
  /** The compose project (label com.docker.compose.project); defaults to the stack's own. */
  project: z.string().optional(),
  /** The container state that passes. */
  state: z.enum(['running', 'exited', 'created', 'restarting', 'paused', 'dead']).optional(),
  /** The exit code that passes (for a container that has exited). */
  exitCode: z.number().int().optional(),
  /** The healthcheck status that passes; `none` means the container has no healthcheck. */
  health: z.enum(['healthy', 'unhealthy', 'starting', 'none']).optional(),
  /** Whether the kernel killed the container for memory. */
  oomKilled: z.boolean().optional(),
  /** The most restarts that still pass. */
  maxRestarts: z.number().int().min(0).optional(),
  /** A regular expression that must match the last `tail` lines of the logs. */
  logs: z.string().optional(),
  /** A regular expression that must not match the last `tail` lines of the logs. */
  notLogs: z.string().optional(),
  /** How many log lines to read. */
  tail: z.number().int().min(1).max(5000).default(50),
  ...probeBase,
});
export type ContainerProbe = z.output<typeof containerProbe>;
