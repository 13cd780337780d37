import { describe, expect, it } from 'vitest';
import { Osc133Parser } from '../../../server/terminal/shell-integration.ts';

const NONCE = 'abc123';

/** Feeds the chunks through one parser and joins what comes out. */
function feed(chunks: string[], nonce?: string): { text: string; codes: number[] } {
  const p = new Osc133Parser(nonce);
  let text = '';
  const codes: number[] = [];
  for (const c of chunks) {
    const r = p.push(c);
    text += r.text;
    codes.push(...r.ends.map((e) => e.exitCode));
  }
  return { text, codes };
}

describe('Osc133Parser', () => {
  const cases = [
    ['BEL', `out\x1b[31mred\x1b[0m\x1b]133;D;7;nonce=${NONCE}\x07$ é€😀 \x1b]0;title\x07`],
    ['ST', `out\x1b[31mred\x1b[0m\x1b]133;D;7;nonce=${NONCE}\x1b\\$ é€😀 \x1b]0;title\x07`],
  ] as const;

  it.each(cases)('finds a sequence ended by %s split at every position, and strips it', (_term, stream) => {
    const expected = stream.replace(/\x1b\]133;[^\x07\x1b]*(\x07|\x1b\\)/, '');
    for (let i = 0; i <= stream.length; i++) {
      const { text, codes } = feed([stream.slice(0, i), stream.slice(i)], NONCE);
      expect(text, `split at ${i}`).toBe(expected);
      expect(codes, `split at ${i}`).toEqual([7]);
    }
  });

  it.each(cases)('finds a sequence ended by %s fed one character at a time', (_term, stream) => {
    const { text, codes } = feed([...stream.split('')], NONCE);
    expect(codes).toEqual([7]);
    expect(text).not.toContain('133;');
  });

  it('finds two sequences in one chunk, and a third split right after them', () => {
    const d = (n: number) => `\x1b]133;D;${n};nonce=${NONCE}\x07`;
    const all = `a${d(0)}b${d(1)}c${d(2)}`;
    const cut = all.length - 5;
    expect(feed([all.slice(0, cut), all.slice(cut)], NONCE)).toEqual({ text: 'abc', codes: [0, 1, 2] });
  });

  it('strips A, B and C sequences without reporting an end', () => {
    expect(feed(['\x1b]133;A\x07$ \x1b]133;B\x07ls\x1b]133;C\x07'], NONCE)).toEqual({ text: '$ ls', codes: [] });
  });

  it('ignores a D without the nonce (output imitating a command end) but still strips it', () => {
    expect(feed(['x\x1b]133;D;0\x07y\x1b]133;D;0;nonce=wrong\x07z'], NONCE)).toEqual({ text: 'xyz', codes: [] });
  });

  it('without a nonce, takes any D; a missing status counts as 0', () => {
    expect(feed(['\x1b]133;D\x07\x1b]133;D;130\x1b\\']).codes).toEqual([0, 130]);
  });

  it('holds back only what could still become a sequence', () => {
    const p = new Osc133Parser(NONCE);
    expect(p.push('plain \x1b').text).toBe('plain ');
    expect(p.push('[0m done').text).toBe('\x1b[0m done');
    expect(p.push('x\x1b]13').text).toBe('x');
    expect(p.push('2;other\x07').text).toBe('\x1b]132;other\x07');
  });

  it('leaves a sequence aborted by another ESC to the terminal', () => {
    expect(feed(['\x1b]133;D;0\x1b[31mred'], NONCE)).toEqual({ text: '\x1b]133;D;0\x1b[31mred', codes: [] });
  });

  it('gives up on an unterminated "sequence" past its length limit and shows it', () => {
    const long = `\x1b]133;D;${'9'.repeat(300)}`;
    const { text, codes } = feed([long.slice(0, 100), long.slice(100), ' tail'], NONCE);
    expect(codes).toEqual([]);
    expect(text).toBe(`${long} tail`);
  });
});
