import { execFileSync } from 'node:child_process';

/**
 * A shell's session found with `ps` where there is no /proc (macOS). `ps -o sess` cannot do it
 * there: Apple's ps prints the kernel's `e_sess` field as an address (keyword "sess", format
 * "lx"), and current xnu leaves that field zero for every process (fill_user64_eproc fills in
 * only "non-zero fields" and not e_sess), and Apple builds pgrep without `-s` (pkill.c,
 * `#ifndef __APPLE__` around the option). What ps does print right on macOS, FreeBSD and Linux:
 * pid, ppid, pgid, the state and the controlling terminal's device (`tdev`, "??" for none).
 *
 * The members of the session of a shell that still runs are then
 * - the processes whose controlling terminal is the shell's pty: a terminal is the controlling
 *   terminal of one session only, and jobs, `nohup` and `disown` keep it (only setsid() leaves);
 * - the shell's descendants (parent by parent), and every process in a process group of a member
 *   (a process group never spans two sessions; a job's group is its leader's pid).
 * Once the shell has ended, the kernel takes the terminal away from its session, and orphans get
 * launchd (pid 1) as parent: so the members found are remembered, and later rounds add only
 * processes of their groups and their descendants. Without the shell alive at the first round
 * (a shell that ended by itself, a server killed outright) nothing can be told apart, and nothing
 * is found.
 */

/** One row of `ps -A -o pid=,ppid=,pgid=,tdev=,stat=`. */
export interface PsRow {
  pid: number;
  ppid: number;
  pgid: number;
  /** The controlling terminal's device ("16/3"), or undefined for none ("??", "-"). */
  tdev: string | undefined;
  /** The state letters (Z: a zombie, which has ended and waits for its parent). */
  stat: string;
}

/** The columns asked of ps, each without a header: none of them holds a space. */
export const PS_ARGS = ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'pgid=', '-o', 'tdev=', '-o', 'stat='];

/** Reads ps's output; lines that are not five fields with numeric ids are left out. */
export function parsePs(text: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 5 || !f.slice(0, 3).every((x) => /^\d+$/.test(x))) continue;
    const [pid, ppid, pgid, tdev, stat] = f as [string, string, string, string, string];
    rows.push({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), tdev: /^\d+\/\d+$/.test(tdev) ? tdev : undefined, stat });
  }
  return rows;
}

/**
 * Follows one shell's session across rounds of `ps` (see above). `members(rows)` returns the
 * session's live processes (the shell too, while it runs) in this round's rows.
 */
export class PsSessionTracker {
  readonly #sid: number;
  readonly #self: number;
  readonly #pids = new Set<number>();
  readonly #groups = new Set<number>();
  #terminal: string | undefined;

  /** `self` (this server) is never a member, whatever ps says. */
  constructor(sid: number, self = process.pid) {
    this.#sid = sid;
    this.#self = self;
  }

  members(rows: PsRow[]): number[] {
    const live = rows.filter((r) => !r.stat.startsWith('Z') && r.pid !== this.#self && r.pid > 1);
    const leader = live.find((r) => r.pid === this.#sid);
    if (leader) {
      this.#pids.add(leader.pid);
      this.#groups.add(leader.pgid);
      this.#terminal ??= leader.tdev;
    }
    const found = new Set<number>();
    const add = (r: PsRow) => {
      if (found.has(r.pid)) return false;
      found.add(r.pid);
      this.#pids.add(r.pid);
      this.#groups.add(r.pgid);
      return true;
    };
    for (const r of live) {
      // The terminal counts only while the shell holds it: afterwards it may be another session's.
      if (this.#pids.has(r.pid) || this.#groups.has(r.pgid) || (leader && this.#terminal && r.tdev === this.#terminal)) add(r);
    }
    // Descendants, and the groups of what was added, until nothing more is found.
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of live) if (!found.has(r.pid) && (found.has(r.ppid) || this.#groups.has(r.pgid)) && add(r)) grew = true;
    }
    // Pids and groups that are gone may come back as someone else's: forget them.
    this.#pids.clear();
    this.#groups.clear();
    for (const r of live) {
      if (!found.has(r.pid)) continue;
      this.#pids.add(r.pid);
      this.#groups.add(r.pgid);
    }
    return [...found];
  }
}

/** The rows of `ps` now, or none when ps fails. */
export function psRows(): PsRow[] {
  try {
    return parsePs(execFileSync('ps', PS_ARGS, { encoding: 'utf8' }));
  } catch {
    return [];
  }
}
