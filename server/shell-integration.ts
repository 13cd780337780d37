import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Shell integration: the shells the tutorial starts load a small rc file that
 * - reports the end and exit status of every command with an OSC 133;D sequence before each
 *   prompt (the FinalTerm / VS Code convention), which the server reads and strips;
 * - loads step variables (TUTORIAL_MARKER, TUTORIAL_STEP) that the server drops into a file just
 *   before it types a step's command, through a DEBUG trap, so the learner sees only the command.
 */

const RC = String.raw`# Loaded by the tutorial's shells (server/shell-integration.ts). Your own ~/.bashrc comes first.
if [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
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
  printf '\033]133;D;%s\007' "$status"
  return $status
}
PROMPT_COMMAND="__tut_prompt${'$'}{PROMPT_COMMAND:+; $PROMPT_COMMAND}"
export TUTORIAL_WORKSPACE="$PWD"
# The workspace's virtualenv, once a chapter has made it, is active in every chapter's shell.
if [ -f "$PWD/.venv/bin/activate" ] && [ -z "$VIRTUAL_ENV" ]; then . "$PWD/.venv/bin/activate"; fi
`;

/** One shell's integration folder: its rc file and the step variables' files. */
export class ShellIntegration {
  readonly dir: string;
  readonly rcFile: string;
  #seq = 0;

  constructor(stateDir: string, name: string) {
    this.dir = join(stateDir, 'shells', name);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.rcFile = join(this.dir, 'rc.bash');
    writeFileSync(this.rcFile, RC);
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
    writeFileSync(join(this.dir, `env.${this.#seq}`), `${body}\n`);
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

/**
 * Removes OSC 133 sequences from a stream of output and reports the command ends they carry.
 * A sequence split across two chunks is held back until its end arrives.
 */
export class Osc133Parser {
  #carry = '';

  /** Returns the text to show and the command ends found in it, in order. */
  push(chunk: string): { text: string; ends: CommandEnd[] } {
    let data = this.#carry + chunk;
    this.#carry = '';
    const ends: CommandEnd[] = [];
    // Hold back a possible start of a sequence at the very end.
    const lastEsc = data.lastIndexOf('\x1b]133;');
    const tailStart = lastEsc >= 0 ? lastEsc : partialPrefixStart(data);
    if (tailStart >= 0) {
      const tail = data.slice(tailStart);
      if (!/[\x07]|\x1b\\/.test(tail.slice(1)) && tail.length < 64) {
        this.#carry = tail;
        data = data.slice(0, tailStart);
      }
    }
    const text = data.replace(/\x1b\]133;([A-Z])(?:;([^\x07\x1b]*))?(?:\x07|\x1b\\)/g, (_m, kind: string, arg?: string) => {
      if (kind === 'D') ends.push({ exitCode: arg !== undefined && arg !== '' ? Number(arg) : 0 });
      return '';
    });
    return { text, ends };
  }
}

/** Where a chunk ends with the first characters of "\x1b]133;" (e.g. just "\x1b" or "\x1b]1"). */
function partialPrefixStart(data: string): number {
  const prefix = '\x1b]133;';
  for (let n = Math.min(prefix.length - 1, data.length); n > 0; n--) {
    if (data.endsWith(prefix.slice(0, n))) return data.length - n;
  }
  return -1;
}
