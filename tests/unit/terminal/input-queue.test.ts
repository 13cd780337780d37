import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputQueue, sliceInput } from '../../../server/terminal/input-queue.ts';

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

describe('InputQueue.drained', () => {
  let written: string[];
  let q: InputQueue;
  beforeEach(() => {
    vi.useFakeTimers();
    written = [];
    q = new InputQueue((data) => written.push(data));
  });
  afterEach(() => {
    q.close();
    vi.useRealTimers();
  });

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it('resolves at once when nothing waits', async () => {
    q.open();
    expect(await settled(q.drained())).toBe(true);
  });

  it('waits for keys held for the first prompt, then for each of their slices to go in', async () => {
    for (const key of ['l', 's', '\r']) q.push(key, true);
    const drained = q.drained();
    expect(await settled(drained)).toBe(false);
    q.open();
    expect(written).toEqual(['l']);
    expect(await settled(drained)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(written).toEqual(['l', 's', '\r']);
    expect(await settled(drained)).toBe(true);
  });

  it('does not wait for input pushed after the question', async () => {
    q.push('a', true);
    q.push('b', true);
    const drained = q.drained();
    q.push('c', true);
    q.push('d', true);
    q.open();
    await vi.advanceTimersByTimeAsync(2);
    expect(written).toEqual(['a', 'b']);
    expect(await settled(drained)).toBe(true);
    expect(written).toEqual(['a', 'b']);
  });

  it('resolves when Ctrl-C drops what waits, and when the queue closes', async () => {
    q.push('x', true);
    const first = q.drained();
    q.push('\x03', true);
    expect(written).toEqual(['\x03']);
    expect(await settled(first)).toBe(true);
    q.push('y', true);
    const second = q.drained();
    q.close();
    expect(await settled(second)).toBe(true);
  });
});
