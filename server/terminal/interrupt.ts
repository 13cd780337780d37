import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** How often the terminal's foreground process group is looked at while a Ctrl-C takes effect. */
const LOOK_EVERY_MS = 100;
/** Ctrl-Cs sent again at most, in one wait for the prompt. */
const RESENDS = 10;

const run = promisify(execFile);

/**
 * The foreground process group of the terminal whose session `pid` (the shell) leads: the group
 * a Ctrl-C typed now is sent to. Undefined where it cannot be read. Linux has it in
 * `/proc/PID/stat`; elsewhere (macOS) `ps` says it, run without holding the event loop.
 */
export async function foregroundGroup(
  pid: number,
  via: 'proc' | 'ps' = process.platform === 'linux' ? 'proc' : 'ps',
): Promise<number | undefined> {
  try {
    let tpgid: number;
    if (via === 'proc') {
      // "pid (comm) state ppid pgrp session tty_nr tpgid …"; comm may hold spaces and parentheses.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      tpgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[5]);
    } else {
      const { stdout } = await run('ps', ['-o', 'tpgid=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
      tpgid = Number(stdout.trim());
    }
    return Number.isInteger(tpgid) && tpgid > 0 ? tpgid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Types Ctrl-C (`send`) into the shell `shellPid` and waits for `prompt`, `timeoutMs` at most.
 * Resolves true when the prompt came back.
 *
 * A Ctrl-C can be lost. The terminal sends SIGINT to its foreground process group, and in a loop of
 * short commands (`until curl …; do sleep 1; done`) that group is, for a moment after each
 * command ends, still the ended command's, before the shell takes the terminal back: a Ctrl-C
 * then reaches nobody, and the loop goes on. Seen from here, the terminal then goes to another
 * command than the one that had it, not back to the shell: Ctrl-C is sent again, and SIGINT to the
 * shell itself, which a loop of very short commands needs (there most Ctrl-Cs are lost, to a
 * command between fork and exec as well, which still has the shell's SIGINT handler). A command that
 * is still stopping (Compose's graceful stop, say) keeps the terminal and gets no second Ctrl-C,
 * which would mean "kill now" to it.
 */
export async function interruptUntilPrompt(o: {
  shellPid: number;
  send: () => void;
  prompt: Promise<void>;
  timeoutMs: number;
}): Promise<boolean> {
  let back = false;
  void o.prompt.then(() => {
    back = true;
  });
  let group = await foregroundGroup(o.shellPid);
  o.send();
  const deadline = Date.now() + o.timeoutMs;
  let resends = 0;
  while (!back) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([o.prompt, new Promise<void>((r) => (timer = setTimeout(r, Math.min(LOOK_EVERY_MS, left))))]);
    clearTimeout(timer);
    if (back || group === undefined) continue;
    const now = await foregroundGroup(o.shellPid);
    if (back || now === undefined || now === group || now === o.shellPid) continue;
    // Another command of the line has the terminal since: the Ctrl-C did not stop the line. The
    // shell, which runs it, hears SIGINT too: bash and zsh end the line they run at it, once the
    // command that has the terminal ends (the Ctrl-C ends that one, unless it is lost again).
    group = now;
    if (resends++ >= RESENDS) continue;
    o.send();
    try {
      process.kill(o.shellPid, 'SIGINT');
    } catch {
      // The shell has ended: the prompt's promise says so.
    }
  }
  return back;
}
