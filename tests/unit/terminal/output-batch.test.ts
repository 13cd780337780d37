import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputBatcher } from '../../../server/terminal/output-batch.ts';

describe('OutputBatcher', () => {
  let sent: string[];
  let b: OutputBatcher;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    b = new OutputBatcher((data) => sent.push(data.toString('utf8')));
  });
  afterEach(() => vi.useRealTimers());

  it('sends output after a quiet spell at once (an echo is not delayed)', () => {
    b.push('a');
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(10);
    b.push('b');
    expect(sent).toEqual(['a', 'b']);
  });

  it('joins what follows within the window into one piece, sent when the window ends or at 64 K', () => {
    b.push('1');
    b.push('2');
    b.push('3');
    expect(sent).toEqual(['1']);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual(['1', '23']);
    vi.advanceTimersByTime(2);
    b.push('x');
    b.push('y'.repeat(64 * 1024));
    expect(sent).toEqual(['1', '23', 'x', 'y'.repeat(64 * 1024)]);
  });

  it('keeps gathering in windows while output keeps coming, and sends at once after a quiet window', () => {
    b.push('1');
    b.push('2');
    vi.advanceTimersByTime(2);
    expect(sent).toEqual(['1', '2']);
    // Still inside the next window: gathered, not sent at once.
    b.push('3');
    b.push('4');
    expect(sent).toEqual(['1', '2']);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual(['1', '2', '34']);
    // A window with nothing in it closes: the next piece is an echo again.
    vi.advanceTimersByTime(2);
    b.push('5');
    expect(sent).toEqual(['1', '2', '34', '5']);
  });

  it('sends each batch as the UTF-8 of its pieces, characters of every width whole', () => {
    const bytes: Buffer[] = [];
    const u = new OutputBatcher((data) => bytes.push(data));
    const pieces = ['a', 'é', '€', '😀', 'z'.repeat(5000), 'ü'];
    for (const p of pieces) u.push(p);
    u.flush();
    expect(bytes.map((d) => d.toString('utf8'))).toEqual(['a', pieces.slice(1).join('')]);
    expect(Buffer.concat(bytes)).toEqual(Buffer.from(pieces.join(''), 'utf8'));
    u.reset();
  });

  it('flush sends what waits now; reset forgets it', () => {
    b.push('1');
    b.push('2');
    b.flush();
    expect(sent).toEqual(['1', '2']);
    b.push('3');
    b.reset();
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(['1', '2']);
  });
});
