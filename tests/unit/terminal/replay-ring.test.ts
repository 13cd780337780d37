import { describe, expect, it } from 'vitest';
import { ReplayRing } from '../../../server/terminal/replay-ring.ts';

describe('ReplayRing', () => {
  it('keeps everything, in order, while under its limit (echoes and floods alike)', () => {
    const r = new ReplayRing(64 * 1024);
    const pieces = ['$ ', 'l', 's', '\r\n', 'x'.repeat(5000), 'é€😀', 'y'.repeat(3000), '$ '];
    for (const p of pieces) r.push(p);
    expect(r.text()).toBe(pieces.join(''));
    expect(r.bytes).toBe(Buffer.byteLength(pieces.join(''), 'utf8'));
  });

  it('drops the oldest output past its limit and never holds more bytes than the limit', () => {
    const r = new ReplayRing(16 * 1024);
    let all = '';
    for (let i = 0; i < 200; i++) {
      const line = `line ${i} ${'.'.repeat(i % 7 === 0 ? 6000 : 90)}\r\n`;
      r.push(line);
      all += line;
      expect(r.bytes).toBeLessThanOrEqual(16 * 1024);
      expect(all.endsWith(r.text())).toBe(true);
    }
    expect(r.text()).toContain('line 199');
    expect(r.bytes).toBeGreaterThan(8 * 1024);
  });

  it('keeps as much of the end as fits, cut at a character boundary', () => {
    const r = new ReplayRing(1000);
    const big = '€'.repeat(2000); // 3 bytes each
    r.push(big);
    expect(r.bytes).toBeLessThanOrEqual(1000);
    expect(r.text()).toBe('€'.repeat(r.bytes / 3));
    expect(r.bytes).toBe(999);
    r.push('ok');
    expect(r.text()).toBe(`${'€'.repeat(332)}ok`);
  });

  it('keeps a full ring of echoes after a flood within its limit', () => {
    const r = new ReplayRing(8192);
    r.push('z'.repeat(20_000));
    for (let i = 0; i < 3000; i++) r.push(String(i % 10));
    expect(r.bytes).toBe(8192);
    expect(r.text()).toBe('z'.repeat(8192 - 3000) + Array.from({ length: 3000 }, (_, i) => String(i % 10)).join(''));
  });
});
