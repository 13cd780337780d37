import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createFileExclusive, readFileNoFollow } from '../private-fs.ts';
import { bootId, processIdentity } from '../processes.ts';
import { processesInSession } from './pty.ts';

/**
 * Shells outlive a server that is killed (SIGKILL, the OOM killer, a crash in native code): the
 * kernel hangs up their terminal, and bash passes SIGHUP on to its jobs, but a job started with
 * `nohup`, `disown`ed, or with `trap '' HUP` keeps running, orphaned. So each shell's folder
 * records the shell's session (its pid is the session id every job keeps), and the next server
 * on the same state folder ends what is left of those sessions before it starts any shell.
 *
 * What still escapes: a process that calls setsid() (`setsid cmd`, a daemon that double-forks)
 * starts a session of its own and leaves the shell's; once its parent has ended it belongs to
 * init and nothing ties it to the shell any more. Catching those would take a cgroup per shell
 * (`systemd-run --user --scope`) or making the server a child subreaper (prctl
 * PR_SET_CHILD_SUBREAPER), neither of which Node reaches without native code.
 */

/** The file in a shell's folder that names its session. */
export const SESSION_FILE = 'session.json';

const SessionRecordSchema = z.object({
  /** The shell's pid: the id of its session. */
  pid: z.number().int().positive(),
  /** The shell's start time and boot (server/processes.ts). */
  start: z.string(),
  boot: z.string(),
});

/** Records that the shell `pid` runs from the integration folder `dir` (created exclusively). */
export function recordShell(dir: string, pid: number): void {
  const id = processIdentity(pid) ?? { pid, start: '', boot: bootId() };
  createFileExclusive(join(dir, SESSION_FILE), `${JSON.stringify(id)}\n`);
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
  let record: z.output<typeof SessionRecordSchema>;
  try {
    const r = SessionRecordSchema.safeParse(JSON.parse(readFileNoFollow(join(dir, SESSION_FILE))));
    if (!r.success) return [];
    record = r.data;
  } catch {
    // No record (an old folder, or the server died before the shell started): nothing to end.
    return [];
  }
  // After a reboot nothing of that session runs.
  if (record.boot !== bootId()) return [];
  // A session id cannot be given to a new process while any process of that session lives. So
  // if a process with the shell's pid runs, it must be the shell itself (same start time), or
  // the number has been reused by a new session that is none of ours.
  const leader = processIdentity(record.pid);
  if (leader && leader.start !== record.start) return [];
  return processesInSession(record.pid);
}
