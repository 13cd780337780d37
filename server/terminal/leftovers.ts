import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { createFileExclusive, readFileNoFollow } from '../private-fs.ts';
import { bootId, processIdentity } from '../processes.ts';
import { processesInSession } from './pty.ts';
import { killCgroupSync } from './shell-cgroup.ts';

/**
 * Shells outlive a server that is killed (SIGKILL, the OOM killer, a crash in native code): the
 * kernel hangs up their terminal, and bash passes SIGHUP on to its jobs, but a job started with
 * `nohup`, `disown`ed, or with `trap '' HUP` keeps running, orphaned. So each shell's folder
 * records the shell's session (its pid is the session id every job keeps), and the next server
 * on the same state folder ends what is left of those sessions before it starts any shell.
 *
 * A process that calls setsid() (`setsid cmd`, a daemon that double-forks) starts a session of
 * its own and leaves the shell's; once its parent has ended it belongs to init. Where the shell
 * had a cgroup of its own (shell-cgroup.ts), the record names it and the whole cgroup is ended;
 * elsewhere such a process escapes.
 */

/** The file in a shell's folder that names its session. */
export const SESSION_FILE = 'session.json';

const SessionRecordSchema = z.object({
  /** The shell's pid: the id of its session. */
  pid: z.number().int().positive(),
  /** The shell's start time and boot (server/processes.ts). */
  start: z.string(),
  boot: z.string(),
  /** The shell's own cgroup (shell-cgroup.ts), where the machine let the server make one. */
  cgroup: z.string().optional(),
});

/** Records that the shell `pid` runs from the integration folder `dir` (created exclusively), in `cgroup` if it has one. */
export function recordShell(dir: string, pid: number, cgroup?: string): void {
  const id = processIdentity(pid) ?? { pid, start: '', boot: bootId() };
  createFileExclusive(join(dir, SESSION_FILE), `${JSON.stringify(cgroup ? { ...id, cgroup } : id)}\n`);
}

/**
 * Ends what is left of the shells recorded under `shellsDir` (SIGKILL to every process still in
 * their sessions: they have already ignored the hangup) and removes their folders. The caller
 * holds the state folder's lock, so none of these shells belongs to a server that still runs.
 * Returns the pids it ended.
 */
export function endLeftovers(shellsDir: string): number[] {
  const ended: number[] = [];
  for (const entry of readdirSync(shellsDir, { withFileTypes: true })) {
    const dir = join(shellsDir, entry.name);
    if (entry.isDirectory()) {
      // What left the shell's session is still in its cgroup (where it had one).
      const cgroup = recordOf(dir)?.cgroup;
      if (cgroup && /\/tutorial-shell-\d+-\d+$/.test(cgroup)) killCgroupSync(cgroup);
      for (const pid of leftoversOf(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
          ended.push(pid);
        } catch {
          // It ended in the meantime.
        }
      }
    }
    // rm removes a link itself, never what it points to.
    rmSync(dir, { recursive: true, force: true });
  }
  return ended;
}

/** The processes still running in the session recorded in `dir`, if it can be told to be that session. */
function leftoversOf(dir: string): number[] {
  const record = recordOf(dir);
  // No record (an old folder, or the server died before the shell started): nothing to end.
  if (!record) return [];
  // After a reboot nothing of that session runs.
  if (record.boot !== bootId()) return [];
  // A session id cannot be given to a new process while any process of that session lives. So
  // if a process with the shell's pid runs, it must be the shell itself (same start time), or
  // the number has been reused by a new session that is none of ours.
  const leader = processIdentity(record.pid);
  if (leader && leader.start !== record.start) return [];
  return processesInSession(record.pid);
}

/** The session record in a shell's folder, if there is a valid one. */
function recordOf(dir: string): z.output<typeof SessionRecordSchema> | undefined {
  try {
    const r = SessionRecordSchema.safeParse(JSON.parse(readFileNoFollow(join(dir, SESSION_FILE))));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
