import { describe, expect, it } from 'vitest';
import { type ShellMark, ShellMarkParser, unescapeCommandLine } from '../../../server/terminal/shell-marks.ts';

const NONCE = 'abc123';

/** Feeds the chunks through one parser and joins what comes out. */
function feed(chunks: string[], nonce?: string): { text: string; marks: ShellMark[]; codes: number[] } {
  const p = new ShellMarkParser(nonce);
  let text = '';
  const marks: ShellMark[] = [];
  for (const c of chunks) {
    const r = p.push(c);
    text += r.text;
    expect(r.parts.filter((x) => typeof x === 'string').join('')).toBe(r.text);
    marks.push(...r.parts.filter((x): x is ShellMark => typeof x !== 'string'));
  }
  const codes = marks.flatMap((m) => (m.kind === 'finished' ? [m.exitCode] : []));
  return { text, marks, codes };
}

describe('ShellMarkParser', () => {
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
    const { text, codes } = feed([all.slice(0, cut), all.slice(cut)], NONCE);
    expect({ text, codes }).toEqual({ text: 'abc', codes: [0, 1, 2] });
  });

  it('reports every mark of a prompt and a command in order, between the text around them', () => {
    const stream = `\x1b]133;A\x07$ \x1b]133;B\x07ls\r\n\x1b]633;E;ls;${NONCE}\x07\x1b]133;C;nonce=${NONCE}\x07a b\r\n\x1b]133;D;0;nonce=${NONCE}\x07`;
    const r = new ShellMarkParser(NONCE).push(stream);
    expect(r.parts).toEqual([
      { kind: 'prompt-start' },
      '$ ',
      { kind: 'prompt-end' },
      'ls\r\n',
      { kind: 'command-line', line: 'ls' },
      { kind: 'executed' },
      'a b\r\n',
      { kind: 'finished', exitCode: 0 },
    ]);
    expect(r.text).toBe('$ ls\r\na b\r\n');
  });

  it('ignores a C, D or E without the nonce (output imitating the shell) but still strips it', () => {
    const fake = `x\x1b]133;D;0\x07y\x1b]133;D;0;nonce=wrong\x07z\x1b]133;C\x07\x1b]633;E;rm -rf ~;wrong\x07\x1b]633;E;ls\x07`;
    expect(feed([fake], NONCE)).toEqual({ text: 'xyz', marks: [], codes: [] });
  });

  it('strips other OSC 633 sequences without a mark, and leaves other OSC sequences alone', () => {
    expect(feed([`a\x1b]633;P;Cwd=/tmp\x07b\x1b]7;file:///tmp\x07c`], NONCE)).toEqual({
      text: 'ab\x1b]7;file:///tmp\x07c',
      marks: [],
      codes: [],
    });
  });

  it("marks zsh's right prompt (633;H and I, as VS Code names them) and strips it", () => {
    expect(feed([`$ \x1b]133;B\x07\x1b]633;H\x0712:00\x1b]633;I\x07`], NONCE)).toEqual({
      text: '$ 12:00',
      marks: [{ kind: 'prompt-end' }, { kind: 'right-prompt-start' }, { kind: 'right-prompt-end' }],
      codes: [],
    });
  });

  it('without a nonce, takes any D; a missing status counts as 0', () => {
    expect(feed(['\x1b]133;D\x07\x1b]133;D;130\x1b\\']).codes).toEqual([0, 130]);
  });

  it('holds back only what could still become a sequence', () => {
    const p = new ShellMarkParser(NONCE);
    expect(p.push('plain \x1b').text).toBe('plain ');
    expect(p.push('[0m done').text).toBe('\x1b[0m done');
    expect(p.push('x\x1b]13').text).toBe('x');
    expect(p.push('2;other\x07').text).toBe('\x1b]132;other\x07');
    expect(p.push('y\x1b]63').text).toBe('y');
    expect(p.push('4;z\x07').text).toBe('\x1b]634;z\x07');
  });

  it('leaves a sequence aborted by another ESC to the terminal', () => {
    expect(feed(['\x1b]133;D;0\x1b[31mred'], NONCE)).toEqual({ text: '\x1b]133;D;0\x1b[31mred', marks: [], codes: [] });
  });

  it('gives up on an unterminated "sequence" past its length limit and shows it', () => {
    const long = `\x1b]133;D;${'9'.repeat(80_000)}`;
    const { text, codes } = feed([long.slice(0, 100), long.slice(100), ' tail'], NONCE);
    expect(codes).toEqual([]);
    expect(text).toBe(`${long} tail`);
  });
});

describe('OSC 633;E command lines', () => {
  it('reads a line escaped as VS Code escapes it: backslashes, semicolons and control characters', () => {
    const line = `echo "a;b" 'c\\d'\tx é😀`;
    const escaped = `echo "a\\x3bb" 'c\\\\d'\\x09x é😀`;
    expect(unescapeCommandLine(escaped)).toBe(line);
    expect(feed([`\x1b]633;E;${escaped};${NONCE}\x07`], NONCE).marks).toEqual([{ kind: 'command-line', line }]);
  });

  it('reads a long line split across chunks', () => {
    const line = `echo ${'x'.repeat(10_000)}`;
    const seq = `\x1b]633;E;${line};${NONCE}\x07`;
    expect(feed([seq.slice(0, 3000), seq.slice(3000, 7000), seq.slice(7000)], NONCE).marks).toEqual([{ kind: 'command-line', line }]);
  });
});
