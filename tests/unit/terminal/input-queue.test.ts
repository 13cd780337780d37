import { describe, expect, it } from 'vitest';
import { sliceInput } from '../../../server/terminal/input-queue.ts';

describe('sliceInput', () => {
  it('keeps short input whole and long input complete, in slices of at most the size', () => {
    expect(sliceInput('ls\r', 8)).toEqual(['ls\r']);
    const long = 'abcdefghij'.repeat(100);
    const slices = sliceInput(long, 64);
    expect(slices.join('')).toBe(long);
    expect(Math.max(...slices.map((s) => s.length))).toBeLessThanOrEqual(64);
  });

  it('never splits an escape sequence at a slice end', () => {
    const keys = `${'x'.repeat(60)}\x1b[A${'y'.repeat(10)}\x1b[200~pasted\x1b[201~`;
    for (const size of [16, 61, 62, 63, 64, 70, 75]) {
      const slices = sliceInput(keys, size);
      expect(slices.join('')).toBe(keys);
      for (const s of slices.slice(0, -1)) {
        // A slice may end with a whole sequence, never with part of one.
        expect(s, `size ${size}`).not.toMatch(/\x1b(\[[0-9;~]*)?$/);
        expect(s.length).toBeLessThanOrEqual(size);
      }
    }
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(100);
    for (const size of [7, 8, 33]) {
      const slices = sliceInput(emoji, size);
      expect(slices.join('')).toBe(emoji);
      for (const s of slices)
        expect(s, `size ${size}`).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
  });
});
