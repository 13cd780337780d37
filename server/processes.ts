import { readFileSync } from 'node:fs';

/**
 * A process, told apart from a later one that is given the same pid: its start time (clock ticks
 * after boot, from /proc/PID/stat) and the boot it started in. Where there is no /proc (macOS),
 * both are empty and only the pid is known.
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot. */
  start: string;
  /** /proc/sys/kernel/random/boot_id: which boot it started in. */
  boot: string;
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

let boot: string | undefined;
/** This boot's id ('' without /proc). */
export function bootId(): string {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      boot = '';
    }
  }
  return boot;
}

/** The identity of a running process (not a zombie), or undefined when there is none with that pid. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  const fields = statFields(pid);
  if (fields) {
    // fields[0] is field 3 of stat (the state), so field 22 (starttime) is fields[19].
    return fields[0] === 'Z' ? undefined : { pid, start: fields[19] ?? '', boot: bootId() };
  }
  if (bootId() !== '') return undefined;
  // No /proc: signal 0 only asks whether the pid exists.
  try {
    process.kill(pid, 0);
    return { pid, start: '', boot: '' };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? { pid, start: '', boot: '' } : undefined;
  }
}

/** True while the process that `id` describes still runs (not a later process with its pid). */
export function stillRunning(id: ProcessIdentity): boolean {
  const now = processIdentity(id.pid);
  return now !== undefined && now.start === id.start && now.boot === id.boot;
}
