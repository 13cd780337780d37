import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogSummary } from '../../../server/web/log-summary.ts';

describe('LogSummary', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the first line of a window and sums up the rest in one line when it ends', () => {
    const lines: string[] = [];
    const summary = new LogSummary((l) => lines.push(l), 'refused a websocket', 10_000);
    summary.note('origin "http://evil.example" is not allowed');
    for (let i = 0; i < 1000; i++) summary.note(`missing or wrong token ${i}`);
    expect(lines).toEqual(['refused a websocket: origin "http://evil.example" is not allowed']);
    vi.advanceTimersByTime(10_000);
    expect(lines).toEqual([
      'refused a websocket: origin "http://evil.example" is not allowed',
      'refused a websocket 1000 more times in 10 seconds (the last: missing or wrong token 999)',
    ]);
  });

  it('writes at most one line per window while the flood goes on', () => {
    const lines: string[] = [];
    const summary = new LogSummary((l) => lines.push(l), 'refused a websocket', 10_000);
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 100; i++) summary.note('no valid session cookie');
      vi.advanceTimersByTime(1000);
    }
    expect(lines.length).toBeLessThanOrEqual(7);
    expect(lines.slice(1).every((l) => /^refused a websocket \d+ more times in 10 seconds/.test(l))).toBe(true);
  });

  it('writes a lone occurrence after a quiet window as it comes, and the rest at close', () => {
    const lines: string[] = [];
    const summary = new LogSummary((l) => lines.push(l), 'refused a websocket', 10_000);
    summary.note('a');
    vi.advanceTimersByTime(60_000);
    summary.note('b');
    summary.note('c');
    expect(lines).toEqual(['refused a websocket: a', 'refused a websocket: b']);
    summary.close();
    expect(lines).toEqual([
      'refused a websocket: a',
      'refused a websocket: b',
      'refused a websocket 1 more time in 10 seconds (the last: c)',
    ]);
  });
});
