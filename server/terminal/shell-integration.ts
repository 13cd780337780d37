import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFileExclusive } from '../private-fs.ts';

/**
 * Shell integration: the shells the tutorial starts load a small rc file that
 * - reports the end and exit status of every command with an OSC 133;D sequence before each
 *   prompt (the FinalTerm / VS Code convention), which the server reads and strips; the sequence
 *   carries a per-shell nonce, kept in a shell variable that is not exported, so that a program's
 *   output cannot fake a command end (VS Code's OSC 633 does the same). The nonce is in no file a
 *   program started from the shell could read: not in the rc file, not in the environment (which
 *   /proc/PID/environ shows to the user's processes); the shell reads it from a file of its own
 *   that it deletes at once, before ~/.bashrc or any command runs;
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
__tut_preexec() {
  local next=$((__tut_seq + 1))
  if [[ -e "$__TUT_DIR/env.$next" ]]; then
    __tut_seq=$next
    . "$__TUT_DIR/env.$next"
  fi
}
trap '__tut_preexec' DEBUG
__tut_prompt() {
  local status=$?
  printf '\033]133;D;%s;nonce=%s\007' "$status" "$__tut_nonce"
  return $status
}
PROMPT_COMMAND="__tut_prompt${'$'}{PROMPT_COMMAND:+; $PROMPT_COMMAND}"
export TUTORIAL_WORKSPACE="$PWD"
# A plain "docker compose ..." (as the hints of the checks write it) finds the stack.
if [ -z "$COMPOSE_FILE" ] && [ -f "$PWD/compose/docker-compose.yml" ]; then export COMPOSE_FILE="$PWD/compose/docker-compose.yml"; fi
# The workspace's virtualenv, once a chapter has made it, is active in every chapter's shell.
if [ -f "$PWD/.venv/bin/activate" ] && [ -z "$VIRTUAL_ENV" ]; then . "$PWD/.venv/bin/activate"; fi
`;

/**
 * One shell's integration folder, `<shellsDir>/<name>-<random>`: its rc file, the nonce file the
 * rc deletes, and the step variables' files. `shellsDir` is a private folder (the session
 * manager makes sure of it); this folder is new (0700) and its files are created exclusively.
 */
export class ShellIntegration {
  readonly dir: string;
  readonly rcFile: string;
  /** The value the shell's command-end sequences carry (see Osc133Parser). */
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

/** A command's end, read from the shell's output. */
export interface CommandEnd {
  exitCode: number;
}

const OSC133 = '\x1b]133;';
/** Longer than any sequence our rc prints; an unterminated "sequence" past this is plain output. */
const MAX_SEQUENCE = 128;

/**
 * Removes OSC 133 sequences from a stream of output and reports the command ends they carry.
 *
 * A sequence split across chunks (anywhere, even inside "\x1b]133;" or between the ESC and the
 * backslash of an ST terminator) is held back until its end arrives; nothing else is held back
 * except a chunk's last few bytes that could still become the start of a sequence. Sequences end
 * with BEL or ST (ESC \\). With a `nonce`, only a "D" sequence that carries `nonce=<nonce>` counts
 * as a command end: a program that prints "\x1b]133;D;0\x07" (or `cat` of a recorded session)
 * must not make the server believe a command ended. Every OSC 133 sequence is removed either way.
 */
export class Osc133Parser {
  #carry = '';
  readonly #nonce: string | undefined;

  constructor(nonce?: string) {
    this.#nonce = nonce;
  }

  /** Returns the text to show and the command ends found in it, in order. */
  push(chunk: string): { text: string; ends: CommandEnd[] } {
    const data = this.#carry + chunk;
    this.#carry = '';
    const ends: CommandEnd[] = [];
    let text = '';
    let i = 0;
    while (i < data.length) {
      const start = data.indexOf(OSC133, i);
      if (start < 0) {
        const partial = partialPrefixStart(data, i);
        text += data.slice(i, partial < 0 ? data.length : partial);
        if (partial >= 0) this.#carry = data.slice(partial);
        break;
      }
      text += data.slice(i, start);
      const body = start + OSC133.length;
      const bel = data.indexOf('\x07', body);
      const esc = data.indexOf('\x1b', body);
      // The first of BEL and ESC decides: ESC \\ ends the sequence, any other ESC aborts it (ECMA-48).
      const end = bel >= 0 && (esc < 0 || bel < esc) ? bel : esc;
      if (end < 0 || (end === esc && end === data.length - 1)) {
        if (data.length - start <= MAX_SEQUENCE) {
          // Not ended yet: wait for the rest.
          this.#carry = data.slice(start);
          break;
        }
        // Far too long to be ours: it is output. Show it and look on after its ESC.
        text += data[start];
        i = start + 1;
        continue;
      }
      if (end === esc && data[esc + 1] !== '\\') {
        // Aborted by another escape sequence: leave all of it to the terminal.
        text += data.slice(start, esc);
        i = esc;
        continue;
      }
      const ended = this.#commandEnd(data.slice(body, end));
      if (ended) ends.push(ended);
      i = end === bel ? end + 1 : end + 2;
    }
    return { text, ends };
  }

  /** The command end a sequence body ("D;0;nonce=...") reports, if it is a valid D for us. */
  #commandEnd(body: string): CommandEnd | undefined {
    const [kind, ...params] = body.split(';');
    if (kind !== 'D') return undefined;
    if (this.#nonce !== undefined && !params.includes(`nonce=${this.#nonce}`)) return undefined;
    const status = params[0];
    const exitCode = status !== undefined && /^\d+$/.test(status) ? Number(status) : 0;
    return { exitCode };
  }
}

/** Where `data` (from `from` on) ends with the first characters of "\x1b]133;" (e.g. "\x1b" or "\x1b]1"). */
function partialPrefixStart(data: string, from: number): number {
  for (let n = Math.min(OSC133.length - 1, data.length - from); n > 0; n--) {
    if (data.endsWith(OSC133.slice(0, n))) return data.length - n;
  }
  return -1;
}
