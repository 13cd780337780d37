/**
 * The marks a tutorial shell prints around its prompt and its commands (shell integration, as
 * FinalTerm's OSC 133 and VS Code's OSC 633 define them), read out of the shell's output:
 *
 *   133;A                 the prompt starts (in PS1)
 *   133;B                 the prompt ends: the learner's input starts here (in PS1)
 *   633;E;<line>;<nonce>  the command line the shell is about to run, escaped (the DEBUG trap)
 *   133;C;nonce=<nonce>   the command starts (the DEBUG trap)
 *   133;D;<s>;nonce=<n>   the prompt is back; `s` is the last status (PROMPT_COMMAND)
 *   633;H / 633;I         around the right prompt (zsh's RPROMPT), drawn after 133;B
 *
 * C, D and E carry the shell's nonce: a program that prints "\x1b]133;D;0\x07" (or `cat` of a
 * recorded session) must not make the server believe a command ended or ran. A and B are only
 * believed while the shell is at its prompt (see PromptState), where no program prints.
 */

/** One mark, in the order the shell printed it. */
export type ShellMark =
  | { kind: 'prompt-start' }
  | { kind: 'prompt-end' }
  /** zsh's right prompt (RPROMPT) starts and ends: it stands on the prompt line without being typed text. */
  | { kind: 'right-prompt-start' }
  | { kind: 'right-prompt-end' }
  /** The command line the shell runs, as it was entered (its history line). */
  | { kind: 'command-line'; line: string }
  | { kind: 'executed' }
  /** The prompt is back; `exitCode` is the status of the last command (130 after Ctrl-C at the prompt). */
  | { kind: 'finished'; exitCode: number };

/** The text to show and the marks, in stream order: `parts` interleaves them, `text` joins the text. */
export interface MarkedOutput {
  text: string;
  parts: (string | ShellMark)[];
}

const OSC = '\x1b]';
/** The idents this parser owns: every OSC 133 and 633 sequence is removed from the output. */
const IDENTS = ['133;', '633;'];
/** Longer than any sequence the rc prints (an E carries a command line of up to 16,000 characters, escaped). */
const MAX_SEQUENCE = 70_000;

/**
 * Reads the marks out of a stream of output and removes every OSC 133 and 633 sequence from it.
 *
 * A sequence split across chunks (anywhere, even inside "\x1b]133;" or between the ESC and the
 * backslash of an ST terminator) is held back until its end arrives; nothing else is held back
 * except a chunk's last few bytes that could still become the start of a sequence. Sequences end
 * with BEL or ST (ESC \\).
 */
export class ShellMarkParser {
  #carry = '';
  readonly #nonce: string | undefined;

  /** Without a nonce every C, D and E counts (for tests of the parser alone). */
  constructor(nonce?: string) {
    this.#nonce = nonce;
  }

  push(chunk: string): MarkedOutput {
    const data = this.#carry + chunk;
    this.#carry = '';
    const parts: (string | ShellMark)[] = [];
    let text = '';
    let pending = '';
    const flushText = () => {
      if (pending) parts.push(pending);
      text += pending;
      pending = '';
    };
    let i = 0;
    while (i < data.length) {
      const start = findOurs(data, i);
      if (start < 0) {
        const partial = partialPrefixStart(data, i);
        pending += data.slice(i, partial < 0 ? data.length : partial);
        if (partial >= 0) this.#carry = data.slice(partial);
        break;
      }
      pending += data.slice(i, start);
      const body = start + OSC.length;
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
        pending += data[start];
        i = start + 1;
        continue;
      }
      if (end === esc && data[esc + 1] !== '\\') {
        // Aborted by another escape sequence: leave all of it to the terminal.
        pending += data.slice(start, esc);
        i = esc;
        continue;
      }
      const mark = this.#mark(data.slice(body, end));
      if (mark) {
        flushText();
        parts.push(mark);
      }
      i = end === bel ? end + 1 : end + 2;
    }
    flushText();
    return { text, parts };
  }

  /** The mark a sequence body ("133;D;0;nonce=...") stands for, if it is a valid one. */
  #mark(body: string): ShellMark | undefined {
    const [ident, kind, ...params] = body.split(';');
    const signed = (p: string[]) => this.#nonce === undefined || p.includes(`nonce=${this.#nonce}`);
    if (ident === '133') {
      switch (kind) {
        case 'A':
          return { kind: 'prompt-start' };
        case 'B':
          return { kind: 'prompt-end' };
        case 'C':
          return signed(params) ? { kind: 'executed' } : undefined;
        case 'D': {
          if (!signed(params)) return undefined;
          const status = params[0];
          return { kind: 'finished', exitCode: status !== undefined && /^\d+$/.test(status) ? Number(status) : 0 };
        }
        default:
          return undefined;
      }
    }
    if (kind === 'H') return { kind: 'right-prompt-start' };
    if (kind === 'I') return { kind: 'right-prompt-end' };
    // 633;E;<escaped line>;<nonce>: the line is escaped (no ";" inside), the nonce is last.
    if (kind === 'E' && params.length >= 1) {
      const nonce = params.length >= 2 ? params[params.length - 1] : undefined;
      if (this.#nonce !== undefined && nonce !== this.#nonce) return undefined;
      return { kind: 'command-line', line: unescapeCommandLine(params[0] ?? '') };
    }
    return undefined;
  }
}

/**
 * The command line of an OSC 633;E, unescaped as VS Code reads it: `\\` is a backslash and `\xNN`
 * an ASCII character (the rc escapes ";", control characters and backslashes so; everything else,
 * UTF-8 included, is sent as it is).
 */
export function unescapeCommandLine(escaped: string): string {
  return escaped.replace(/\\(\\|x([0-9a-fA-F]{2}))/g, (_m, _what: string, hex: string | undefined) =>
    hex === undefined ? '\\' : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Where the next OSC 133 or 633 sequence starts at or after `from`, or -1. */
function findOurs(data: string, from: number): number {
  let at = data.indexOf(OSC, from);
  while (at >= 0) {
    const ident = data.slice(at + OSC.length, at + OSC.length + 4);
    if (IDENTS.includes(ident)) return at;
    at = data.indexOf(OSC, at + 1);
  }
  return -1;
}

/** Where `data` (from `from` on) ends with the first characters of one of our sequences (e.g. "\x1b" or "\x1b]63"). */
function partialPrefixStart(data: string, from: number): number {
  for (const ident of IDENTS) {
    const prefix = OSC + ident;
    for (let n = Math.min(prefix.length - 1, data.length - from); n > 0; n--) {
      if (data.endsWith(prefix.slice(0, n))) return data.length - n;
    }
  }
  return -1;
}
