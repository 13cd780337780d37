import type { Evidence } from '../../protocol/result.ts';

/**
 * Evidence labels shared by the probes. Diagnosis signatures (signatures.ts) choose the
 * evidence they read by label, so a probe that gathers container logs, command output or an
 * HTTP body should start its label with one of these words.
 */
export const LABEL = {
  containerLogs: 'Container logs',
  containerState: 'Container state',
  commandOutput: 'Command output',
  exitStatus: 'Exit status',
  httpStatus: 'HTTP status',
  httpBody: 'HTTP response body',
  file: 'File',
  connection: 'Connection',
  host: 'Host',
  docker: 'Docker',
} as const;

/** One piece of evidence. */
export function ev(label: string, text: string): Evidence {
  return { label, text };
}
