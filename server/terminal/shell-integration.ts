import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SHELLS_DIR } from '../paths.ts';
import { createFileExclusive } from '../private-fs.ts';

/**
 * Shell integration: the shells the tutorial starts load a small rc file of their own
 * (server/terminal/shells/, one a shell: bash.sh) after the learner's, which
 * - marks the prompt's start and end (OSC 133;A and B, in PS1, wrapped again whenever something
 *   such as a virtualenv's activate changes PS1), reports the command line it is about to run and
 *   the command's start (OSC 633;E, as VS Code escapes it, and 133;C), and the end and exit status
 *   of every command before each prompt (133;D): the FinalTerm / VS Code conventions, which the
 *   server reads and strips (server/terminal/shell-marks.ts). C, D and E carry a per-shell nonce,
 *   kept in a shell variable that is not exported, so that a program's output cannot fake a
 *   command's start or end (VS Code's OSC 633 does the same). The nonce is in no file a program
 *   started from the shell could read: not in the rc file, not in the environment (which
 *   /proc/PID/environ shows to the user's processes); the shell reads it from a file of its own
 *   that it deletes at once, before the learner's rc or any command runs;
 * - loads step variables (TUTORIAL_MARKER, TUTORIAL_STEP) that the server drops into a file just
 *   before it types a step's command, so the learner sees only the command.
 * How each shell does it is said at the top of its file.
 */

/** What starts a shell with its integration: the program, its arguments, the variables it needs. */
export interface ShellLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

const rcTexts = new Map<string, string>();
/** The text of a shell's rc file in SHELLS_DIR (read once). */
export function shellRcText(file: string): string {
  let text = rcTexts.get(file);
  if (text === undefined) {
    text = readFileSync(join(SHELLS_DIR, file), 'utf8');
    rcTexts.set(file, text);
  }
  return text;
}

/**
 * One shell's integration folder, `<shellsDir>/<name>-<random>`: its rc file, the nonce file the
 * rc deletes, and the step variables' files. `shellsDir` is a private folder (the session
 * manager makes sure of it); this folder is new (0700) and its files are created exclusively.
 */
export class ShellIntegration {
  readonly dir: string;
  /** The value the shell's command-line, command-start and command-end marks carry (see ShellMarkParser). */
  readonly nonce = randomBytes(12).toString('hex');
  #seq = 0;

  constructor(shellsDir: string, name: string) {
    this.dir = join(shellsDir, `${name}-${randomBytes(6).toString('hex')}`);
    // The shell sources the files in this folder: nobody else may write there.
    mkdirSync(this.dir, { mode: 0o700 });
    try {
      createFileExclusive(join(this.dir, 'nonce'), `${this.nonce}\n`);
    } catch (err) {
      // A full disk: nothing half-made stays behind.
      rmSync(this.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Copies a shell's rc file from SHELLS_DIR into this folder, where only this user can change it,
   * and returns the copy's path: what bash() (and another shell's launcher, such as a zsh() beside
   * it) builds its launch on. The rc files read __TUT_DIR for this folder.
   */
  installRc(source: string, as = source): string {
    const path = join(this.dir, as);
    createFileExclusive(path, shellRcText(source));
    return path;
  }

  /** bash with its integration (server/terminal/shells/bash.sh), after the learner's ~/.bashrc. */
  bash(): ShellLaunch {
    const rc = this.installRc('bash.sh', 'rc.bash');
    return { file: 'bash', args: ['--rcfile', rc, '-i'], env: { __TUT_DIR: this.dir } };
  }

  /**
   * zsh with its integration: ZDOTDIR is a folder of this shell's own whose .zshenv
   * (shells/zsh-env.zsh) and .zshrc (shells/zsh.zsh) load the learner's own from `userZdotdir` (their
   * ZDOTDIR, or $HOME when they have none) and then the integration.
   */
  zsh(userZdotdir: string | undefined): ShellLaunch {
    const zdotdir = join(this.dir, 'zdotdir');
    mkdirSync(zdotdir, { mode: 0o700 });
    createFileExclusive(join(zdotdir, '.zshenv'), shellRcText('zsh-env.zsh'));
    createFileExclusive(join(zdotdir, '.zshrc'), shellRcText('zsh.zsh'));
    return {
      file: 'zsh',
      args: ['-i'],
      env: { __TUT_DIR: this.dir, ZDOTDIR: zdotdir, __TUT_USER_ZDOTDIR: userZdotdir ?? '' },
    };
  }

  /** Makes the shell export these variables before it runs the next command. */
  exportBeforeNextCommand(vars: Record<string, string>): void {
    this.#seq += 1;
    const body = Object.entries(vars)
      .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
      .join('\n');
    createFileExclusive(join(this.dir, `env.${this.#seq}`), `${body}\n`);
    // Older files have been read by now (the shell reads them in order); keep the folder small.
    for (const f of readdirSync(this.dir)) {
      const m = /^env\.(\d+)$/.exec(f);
      if (m && Number(m[1]) < this.#seq - 2) rmSync(join(this.dir, f), { force: true });
    }
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell the tutorial's terminals run and the learner's rc it loads, in words (verify prints
 * it when a step fails): "bash 5.2.15(1)-release (/usr/bin/bash) with /home/ann/.bashrc".
 */
export function describeShell(shell: 'bash' | 'zsh' = 'bash', env: NodeJS.ProcessEnv = process.env): string {
  const versionVar = shell === 'zsh' ? '$ZSH_VERSION' : '$BASH_VERSION';
  const r = spawnSync(shell, ['-c', `printf "%s %s" "${versionVar}" "$(command -v ${shell})"`], { encoding: 'utf8', env, timeout: 5000 });
  const [version, path] = (r.stdout ?? '').split(' ');
  const rc = shell === 'zsh' ? join(env.ZDOTDIR || env.HOME || homedir(), '.zshrc') : join(env.HOME ?? homedir(), '.bashrc');
  let rcText = `without ${rc} (there is none)`;
  try {
    readFileSync(rc);
    rcText = `with ${rc}`;
  } catch {
    // No rc, or none this user can read: the shell loads none either.
  }
  const way = shell === 'bash' && env.__TUT_FORCE_NO_PS0 ? ', reporting through its DEBUG trap (__TUT_FORCE_NO_PS0)' : '';
  return version ? `${shell} ${version} (${path}) ${rcText}${way}` : `${shell}, which did not start (${r.error?.message ?? r.stderr})`;
}
