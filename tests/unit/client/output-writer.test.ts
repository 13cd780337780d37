import headless from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { OutputWriter } from '../../../src/client/output-writer.ts';

const { Terminal } = headless;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('OutputWriter', () => {
  it('writes a frame that finds the terminal idle at once, and joins the frames that come while it writes', () => {
    const writes: { data: string; done: () => void }[] = [];
    const w = new OutputWriter((data, done) => writes.push({ data: text(data), done }));
    const acked: string[] = [];
    w.push(bytes('a'), () => acked.push('a'));
    expect(writes.map((x) => x.data)).toEqual(['a']);
    w.push(bytes('b'), () => acked.push('b'));
    w.push(bytes('c'), () => acked.push('c'));
    expect(writes.length).toBe(1);
    expect(w.waitingBytes).toBe(2);
    // The first write is parsed: its frame is acknowledged, and what waited goes in as one write.
    writes[0]!.done();
    expect(acked).toEqual(['a']);
    expect(writes.map((x) => x.data)).toEqual(['a', 'bc']);
    writes[1]!.done();
    expect(acked).toEqual(['a', 'b', 'c']);
    // Idle again: the next frame goes in at once.
    w.push(bytes('d'), () => acked.push('d'));
    expect(writes.map((x) => x.data)).toEqual(['a', 'bc', 'd']);
  });

  it('clear forgets the frames that wait (the replay brings them back), without acknowledging them', () => {
    const writes: { data: string; done: () => void }[] = [];
    const w = new OutputWriter((data, done) => writes.push({ data: text(data), done }));
    const acked: string[] = [];
    w.push(bytes('a'), () => acked.push('a'));
    w.push(bytes('b'), () => acked.push('b'));
    w.clear();
    writes[0]!.done();
    expect(writes.map((x) => x.data)).toEqual(['a']);
    expect(acked).toEqual(['a']);
    w.push(bytes('c'), () => acked.push('c'));
    expect(writes.map((x) => x.data)).toEqual(['a', 'c']);
  });

  it('puts every byte into a real xterm in order, a character split between frames included', async () => {
    const term = new Terminal({ cols: 40, rows: 5, allowProposedApi: true });
    const w = new OutputWriter((data, done) => term.write(data, done));
    const all = bytes('héllo wörld ✓\r\nsecond line');
    let written = 0;
    const finished = new Promise<void>((resolve) => {
      // Frames of 3 bytes: é, ö and ✓ are cut in the middle.
      for (let i = 0; i < all.length; i += 3) {
        const part = all.subarray(i, i + 3);
        w.push(part, () => {
          written += part.length;
          if (written === all.length) resolve();
        });
      }
    });
    await finished;
    const line = (y: number) => term.buffer.active.getLine(y)?.translateToString(true);
    expect([line(0), line(1)]).toEqual(['héllo wörld ✓', 'second line']);
    term.dispose();
  });
});
