import * as z from 'zod';
import { probeBase } from './common.ts';

/** Whether the machine is ready for the stack, before `docker compose up`. */
export const preflightProbe = z.strictObject({
  kind: z.literal('preflight'),
  /** The Docker engine answers a ping. */
  docker: z.boolean().default(true),
  /** Docker Compose v2 is installed (`docker compose version`). */
  compose: z.boolean().default(true),
  /** vm.max_map_count is at least 262144 (Linux hosts only; Docker Desktop sets its own VM). */
  maxMapCount: z.boolean().default(true),
  /** TCP ports that must be free on this machine (nothing listening). */
  ports: z.array(z.number().int().min(1).max(65535)).default([]),
  /** The host ports the stack publishes, as the workspace's compose/.env sets them, must be free. */
  stackPorts: z.boolean().default(false),
  /**
   * Memory the stack needs, in MiB: of Docker's VM where the engine runs in one (Docker Desktop,
   * OrbStack, Colima), else available on this machine.
   */
  memoryMb: z.number().positive().optional(),
  /** Free disk space needed in the workspace's file system, in MiB. */
  diskMb: z.number().positive().optional(),
  ...probeBase,
});
export type PreflightProbe = z.output<typeof preflightProbe>;
