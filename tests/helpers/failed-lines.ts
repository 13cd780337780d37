import { StringDecoder } from 'node:string_decoder';
import { stripVTControlCharacters } from 'node:util';

/** A line that names a failed test: vitest's ×/FAIL, Playwright's ✘ and numbered list, the self-test's ✗, a first error line. */
const FAILED_LINE = /^\s*(×|✗|✘|FAIL\s)|^\s+\d+\) \[|^\s*(Error|AssertionError|TimeoutError):/;
const MAX_KEPT = 40;

/**
 * Keeps the lines of a tier's output that name a failed test (colours removed, each once, at most
 * 40), so the end of a long run says which tests failed, not only which tier. Each stream followed
 * has its own decoder and partial line: a character or a line split across two chunks, or stdout
 * and stderr taking turns, does not garble what is kept.
 */
export class FailedLines {
  readonly lines: string[] = [];

  /** A writer for one stream's chunks; call end() when the stream ends, to keep its last line. */
  stream(): { write(chunk: Buffer): void; end(): void } {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    return {
      write: (chunk) => {
        const lines = (partial + decoder.write(chunk)).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#keep(line);
      },
      end: () => this.#keep(partial + decoder.end()),
    };
  }

  #keep(line: string): void {
    // Matched with its indent (Playwright's numbered list is known by it), kept without.
    const plain = stripVTControlCharacters(line);
    const kept = plain.trim();
    if (FAILED_LINE.test(plain) && this.lines.length < MAX_KEPT && !this.lines.includes(kept)) this.lines.push(kept);
  }
}
