import { describe, expect, it } from 'vitest';
import { FailedLines } from '../helpers/failed-lines.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('FailedLines: the names of failed tests at the end of `npm test`', () => {
  it('keeps the failure lines of vitest, Playwright and the self-test, without colours, each once', () => {
    const failed = new FailedLines();
    const out = failed.stream();
    out.write(bytes('  ✓ passes\n  \x1b[31m×\x1b[39m a test that failed 20166ms\n'));
    out.write(bytes(' FAIL  integration  tests/a.test.ts > a > b\nError: Gave up waiting\n'));
    out.write(bytes('  ✘  3 [chromium] › e2e/x.spec.ts:10:1 › runs\n  ✗ python-venv: the check failed\n'));
    out.write(bytes('  1) [chromium] › e2e/x.spec.ts:10:1 › runs ───\n'));
    out.write(bytes('  × a test that failed 20166ms\nan ordinary line\n  2 passed (4.1s)\n'));
    out.end();
    expect(failed.lines).toEqual([
      '× a test that failed 20166ms',
      'FAIL  integration  tests/a.test.ts > a > b',
      'Error: Gave up waiting',
      '✘  3 [chromium] › e2e/x.spec.ts:10:1 › runs',
      '✗ python-venv: the check failed',
      '1) [chromium] › e2e/x.spec.ts:10:1 › runs ───',
    ]);
  });

  it('keeps a line whose mark is split between two chunks, in the middle of a character', () => {
    const failed = new FailedLines();
    const out = failed.stream();
    const line = bytes('  ✗ compose-up: the stack did not start\n');
    // ✗ is three bytes in UTF-8: cut after the first of them.
    out.write(line.subarray(0, 3));
    out.write(line.subarray(3));
    out.end();
    expect(failed.lines).toEqual(['✗ compose-up: the stack did not start']);
  });

  it('does not mix a line of stdout with one of stderr that came between its chunks', () => {
    const failed = new FailedLines();
    const stdout = failed.stream();
    const stderr = failed.stream();
    stdout.write(bytes('  × first half '));
    stderr.write(bytes('noise on stderr\n'));
    stdout.write(bytes('and second half\n'));
    stdout.end();
    stderr.end();
    expect(failed.lines).toEqual(['× first half and second half']);
  });

  it('keeps the last line when the output ends without a newline', () => {
    const failed = new FailedLines();
    const out = failed.stream();
    out.write(bytes('Error: the tier crashed'));
    out.end();
    expect(failed.lines).toEqual(['Error: the tier crashed']);
  });
});
