import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A cgroup of its own for each shell, where the machine lets the server make one: on Linux with
 * the cgroup v2 hierarchy mounted and the server's own cgroup writable by it (a systemd desktop
 * session delegates the user's subtree: a terminal's scope under user@UID.service). Everything the
 * shell starts stays in it, whatever it does to its session: a process that calls setsid() (`setsid
 * cmd`, a daemon that forks twice) leaves the shell's session, which the session-based ending
 * (pty.ts) follows, but never its cgroup. `cgroup.kill` (Linux 5.14) ends them all at once.
 *
 * Where there is no such cgroup (cgroup v1 only, a cgroup of root's, macOS), nothing changes: the
 * session-based ending does what it can, and README.md says what escapes it.
 */

/** The server's own cgroup v2 folder, if it may make cgroups in it; undefined otherwise. */
export function ownCgroup(): string | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return undefined;
    const path = line.slice(3);
    // Fields of /proc/self/mountinfo: ... mount point (5th) ... " - " fstype source options.
    for (const row of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [before, after] = row.split(' - ');
      if (!before || !after?.startsWith('cgroup2 ')) continue;
      const fields = before.split(' ');
      const root = fields[3] ?? '';
      const mountPoint = unescapeMount(fields[4] ?? '');
      // The hierarchy's part seen at this mount point (a container sees its own as "/").
      if (!path.startsWith(root)) continue;
      const dir = join(mountPoint, path.slice(root.length));
      // The root cgroup has no cgroup.kill for its children to inherit the rule from; a cgroup
      // whose controllers are handed to its children cannot hold processes, the shells included.
      if (dir === mountPoint || !existsSync(join(dir, 'cgroup.kill'))) continue;
      if (readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim() !== '') continue;
      accessSync(dir, constants.W_OK);
      accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
      return dir;
    }
  } catch {
    // No /proc, no cgroup v2, or not ours to write: no cgroup per shell.
  }
  return undefined;
}

/** /proc/self/mountinfo writes a space, tab, newline and backslash in a path as \040 and the like. */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/**
 * Makes the cgroup of the shell `pid` in `parent` and moves the shell into it; undefined when the
 * kernel refuses (the cgroup is removed again). Called right after the shell is spawned, before
 * its rc files start anything but the briefest helper.
 */
export function cgroupForShell(parent: string, pid: number): string | undefined {
  const dir = join(parent, `tutorial-shell-${process.pid}-${pid}`);
  try {
    mkdirSync(dir);
  } catch {
    return undefined;
  }
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    return dir;
  } catch {
    removeCgroup(dir);
    return undefined;
  }
}

/** The cgroup of its own for the shell `pid` just spawned, where the server may make one (ownCgroup). */
export function shellCgroup(pid: number): string | undefined {
  const parent = ownCgroup();
  return parent ? cgroupForShell(parent, pid) : undefined;
}

/** Ends every process in the cgroup (SIGKILL, by the kernel) and removes it once it is empty. */
export async function killCgroup(dir: string | undefined): Promise<void> {
  if (!dir || !signalCgroup(dir)) return;
  // The kernel empties it as the processes die; a few milliseconds, more on a busy machine.
  for (let i = 0; i < 100 && populated(dir); i++) await new Promise((r) => setTimeout(r, 20));
  removeCgroup(dir);
}

/** As killCgroup, for process exit: the kill is sent, the folder removed if it is empty already. */
export function killCgroupSync(dir: string | undefined): void {
  if (dir && signalCgroup(dir) && !populated(dir)) removeCgroup(dir);
}

function signalCgroup(dir: string): boolean {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

function populated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Still populated or gone already: the next server's leftovers pass removes it.
  }
}
