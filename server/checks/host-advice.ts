import { platform } from 'node:os';

/**
 * What advice may depend on beyond the evidence: the learner's operating system, and whether
 * their shell runs as root. The tutorial's shells run as the server's user on the server's
 * machine, so both are this process's.
 */
export interface Host {
  /** The operating system, as Node names it (`linux`, `darwin`, `win32`). */
  platform: NodeJS.Platform;
  /** True when the shell runs as root, where `sudo` is not needed (and often not installed). */
  root: boolean;
}

/** The machine this server runs on. */
export function thisHost(): Host {
  return { platform: platform(), root: process.getuid?.() === 0 };
}

/** A command that needs root, as the learner should type it: with `sudo`, or bare at a root prompt. */
export function asRoot(command: string, host: Host = thisHost()): string {
  return host.root ? command : `sudo ${command}`;
}

/** Who usually holds a port on this kind of machine, where that is known: on macOS the AirPlay Receiver holds 5000. */
export function usualPortHolder(port: number, host: Host = thisHost()): string | undefined {
  return port === 5000 && host.platform === 'darwin' ? 'the AirPlay Receiver' : undefined;
}

/** How to free a port: the AirPlay Receiver's switch on macOS for 5000, else find the program that listens. */
export function freePortAdvice(port: number, host: Host = thisHost()): string {
  const lsof = `\`lsof -nP -iTCP:${port} -sTCP:LISTEN\``;
  return usualPortHolder(port, host)
    ? `Turn off the AirPlay Receiver (System Settings, General, AirDrop & Handoff), or find the program with ${lsof} and stop it.`
    : `Find the program with ${lsof} and stop it.`;
}
