import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFileExclusive } from '../private-fs.ts';

/**
 * Shell integration: the shells the tutorial starts load a small rc file that
 * - marks the prompt's start and end (OSC 133;A and B, in PS1, wrapped again whenever something
 *   such as a virtualenv's activate changes PS1), reports the command line it is about to run and
 *   the command's start (OSC 633;E, as VS Code escapes it, and 133;C, from PS0), and
 *   the end and exit status of every command before each prompt (133;D): the FinalTerm / VS Code
 *   conventions, which the server reads and strips (server/terminal/shell-marks.ts). C, D and E
 *   carry a per-shell nonce, kept in a shell variable that is not exported, so that a program's
 *   output cannot fake a command's start or end (VS Code's OSC 633 does the same). The nonce is in
 *   no file a program started from the shell could read: not in the rc file, not in the
 *   environment (which /proc/PID/environ shows to the user's processes); the shell reads it from a
 *   file of its own that it deletes at once, before ~/.bashrc or any command runs;
 * - loads step variables (TUTORIAL_MARKER, TUTORIAL_STEP) that the server drops into a file just
 *   before it types a step's command, through a DEBUG trap, so the learner sees only the command.
 */

const RC = String.raw`# Loaded by the tutorial's shells (server/terminal/shell-integration.ts). Your own ~/.bashrc comes first.
# The nonce that marks this shell's command ends: read, then its file deleted, before anything else runs.
IFS= read -r __tut_nonce < "$__TUT_DIR/nonce"; command rm -f -- "$__TUT_DIR/nonce"
# TUTORIAL_SKIP_BASHRC=1 leaves ~/.bashrc out (the test tiers set it: a shell killed while ~/.bashrc
# runs can leave a tool's lock behind, such as pyenv's rehash lock, and stall every later shell).
if [ -z "$TUTORIAL_SKIP_BASHRC" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
__tut_seq=0
# Until the first prompt, commands are the rc's own, not the learner's.
__tut_in_cmd=1
# The command line is read from history: nothing may keep a line out of it.
HISTCONTROL=${'$'}{HISTCONTROL//ignoreboth/ignoredups}; HISTCONTROL=${'$'}{HISTCONTROL//ignorespace/}; unset HISTIGNORE
# Escapes a command line for OSC 633;E as VS Code does: \\ for a backslash, \xNN for ";" and control characters.
__tut_escape() {
  local s=$1 i hex c
  s=${'$'}{s//\\/\\\\}
  s=${'$'}{s//;/\\x3b}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 1; i < 32; i++)); do
      printf -v hex '%02x' "$i"
      printf -v c "\\x$hex"
      s=${'$'}{s//"$c"/\\x$hex}
    done
    s=${'$'}{s//$'\x7f'/\\x7f}
  fi
  __tut_escaped=${'$'}{s:0:16000}
}
# The workspace's virtualenv, once a chapter has made it, is active in every chapter's shell, also in
# one that started before it was made (from its next command on); once only, so a deactivate stays.
__tut_venv() {
  [[ -z $__tut_venv_tried && -z $VIRTUAL_ENV && -f "$TUTORIAL_WORKSPACE/.venv/bin/activate" ]] || return 0
  __tut_venv_tried=1
  . "$TUTORIAL_WORKSPACE/.venv/bin/activate"
}
# Step variables: the DEBUG trap runs before every simple command; the first of a command line loads them.
__tut_preexec() {
  [[ $__tut_in_cmd == 0 && $BASH_COMMAND != __tut_prompt* ]] || return 0
  __tut_in_cmd=1
  __tut_venv
  local next=$((__tut_seq + 1))
  if [[ -e "$__TUT_DIR/env.$next" ]]; then
    __tut_seq=$next
    . "$__TUT_DIR/env.$next"
  fi
}
trap '__tut_preexec' DEBUG
# PS0 is printed when a command line has been read, before it runs (never for an empty line,
# always for a subshell or a function definition, which the DEBUG trap misses): the line as
# history has it, and the command's start.
__tut_ps0() {
  local h
  if [[ -o history ]]; then
    h=$(HISTTIMEFORMAT= builtin history 1)
    [[ $h =~ ^\ *[0-9]+\*?\ \ (.*)$ ]] && h=${'$'}{BASH_REMATCH[1]}
    __tut_escape "$h"
    builtin printf '\033]633;E;%s;%s\007' "$__tut_escaped" "$__tut_nonce"
  fi
  builtin printf '\033]133;C;nonce=%s\007' "$__tut_nonce"
}
PS0='$(__tut_ps0)'
__tut_A='\[\033]133;A\007\]'
__tut_B='\[\033]133;B\007\]'
__tut_prompt() {
  local status=$?
  builtin printf '\033]133;D;%s;nonce=%s\007' "$status" "$__tut_nonce"
  return $status
}
# Last in PROMPT_COMMAND, after whatever else sets PS1: the prompt is wrapped in its marks again
# when PS1 changed (a virtualenv's activate prepends to it), and the next line is the learner's.
__tut_prompt_end() {
  local p
  if [[ $PS1 != "$__tut_ps1" ]]; then
    p=${'$'}{PS1//"$__tut_A"/}
    p=${'$'}{p//"$__tut_B"/}
    __tut_ps1=$__tut_A$p$__tut_B
    PS1=$__tut_ps1
  fi
  __tut_in_cmd=0
}
PROMPT_COMMAND="__tut_prompt${'$'}{PROMPT_COMMAND:+; $PROMPT_COMMAND}; __tut_prompt_end"
export TUTORIAL_WORKSPACE="$PWD"
# A plain "docker compose ..." (as the hints of the checks write it) finds the stack.
if [ -z "$COMPOSE_FILE" ] && [ -f "$PWD/compose/docker-compose.yml" ]; then export COMPOSE_FILE="$PWD/compose/docker-compose.yml"; fi
__tut_venv
`;

/** The shells' start-up files (zsh's; server/terminal/shells/). */
const SHELLS = join(import.meta.dirname, 'shells');

/**
 * One shell's integration folder, `<shellsDir>/<name>-<random>`: its rc file, the nonce file the
 * rc deletes, and the step variables' files. `shellsDir` is a private folder (the session
 * manager makes sure of it); this folder is new (0700) and its files are created exclusively.
 */
export class ShellIntegration {
  readonly dir: string;
  readonly rcFile: string;
  /** The value the shell's command-line, command-start and command-end marks carry (see ShellMarkParser). */
  readonly nonce = randomBytes(12).toString('hex');
  #seq = 0;

  constructor(shellsDir: string, name: string) {
    this.dir = join(shellsDir, `${name}-${randomBytes(6).toString('hex')}`);
    // The shell sources the files in this folder: nobody else may write there.
    mkdirSync(this.dir, { mode: 0o700 });
    this.rcFile = join(this.dir, 'rc.bash');
    createFileExclusive(this.rcFile, RC);
    createFileExclusive(join(this.dir, 'nonce'), `${this.nonce}\n`);
  }

  /** Arguments and variables for bash. */
  bash(): { file: string; args: string[]; env: Record<string, string> } {
    return { file: 'bash', args: ['--rcfile', this.rcFile, '-i'], env: { __TUT_DIR: this.dir } };
  }

  /**
   * Arguments and variables for zsh: ZDOTDIR is a folder of this shell's own whose .zshenv
   * (shells/zsh-env.zsh) and .zshrc (shells/zsh.zsh) load the learner's own from `userZdotdir` (their
   * ZDOTDIR, or $HOME when they have none) and then the integration.
   */
  zsh(userZdotdir: string | undefined): { file: string; args: string[]; env: Record<string, string> } {
    const zdotdir = join(this.dir, 'zdotdir');
    mkdirSync(zdotdir, { mode: 0o700 });
    createFileExclusive(join(zdotdir, '.zshenv'), readFileSync(join(SHELLS, 'zsh-env.zsh'), 'utf8'));
    createFileExclusive(join(zdotdir, '.zshrc'), readFileSync(join(SHELLS, 'zsh.zsh'), 'utf8'));
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
