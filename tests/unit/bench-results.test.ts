import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../bench/lib/report.ts';

const OLD = `# Benchmark results

Written by \`npm run bench\` on an earlier day.

## Terminal throughput

| measure | old |

- an old note of the run

### 2026-12-07: where the time went (issue 22)

Written by hand: why the figures moved.

## Keystroke echo

| echo | old |

## Stack memory

<!-- stack-memory:start -->
written by bench/stack-memory.ts
<!-- stack-memory:end -->
`;

describe('bench/RESULTS.md after `npm run bench -- --only …`', () => {
  it('writes the sections that ran anew and keeps the others, the dated notes under them and the marked sections', () => {
    const out = mergeResults(OLD, '# Benchmark results\n\nWritten by `npm run bench -- --only throughput` today.', [
      '## Terminal throughput\n\n| measure | new |\n\n- a new note of the run',
    ]);
    expect(out).toContain('Written by `npm run bench -- --only throughput` today.');
    expect(out).not.toContain('an earlier day');
    expect(out).toContain('| measure | new |');
    expect(out).not.toContain('| measure | old |');
    expect(out).not.toContain('an old note of the run');
    // The hand-written history stays under its section, after the fresh table.
    expect(out.indexOf('| measure | new |')).toBeLessThan(out.indexOf('### 2026-12-07: where the time went'));
    expect(out).toContain('Written by hand: why the figures moved.');
    // The benchmarks that did not run keep their results, and the marked section is there once.
    expect(out).toContain('| echo | old |');
    expect(out.match(/stack-memory:start/g)).toHaveLength(1);
    expect(out.indexOf('## Keystroke echo')).toBeLessThan(out.indexOf('## Stack memory'));
  });

  it('adds a section that ran for the first time, and writes a new file from nothing', () => {
    expect(mergeResults(OLD, '# Benchmark results', ['## Pages\n\n| pages |'])).toMatch(
      /## Stack memory[\s\S]*<!-- stack-memory:end -->\n\n## Pages\n\n\| pages \|\n$/,
    );
    expect(mergeResults('', '# Benchmark results', ['## Pages\n\n| pages |'])).toBe('# Benchmark results\n\n## Pages\n\n| pages |\n');
  });

  it('keeps a marked section that starts above its heading once, however often it merges', () => {
    const old = `# Benchmark results\n\n## Pages\n\n| pages |\n<!-- shells:start -->\n## Run in the learner's shells\n\n| shells |\n<!-- shells:end -->\n\n## Workshop\n\n| workshop |\n`;
    let out = old;
    for (let i = 0; i < 3; i++) out = mergeResults(out, '# Benchmark results', ['## Pages\n\n| pages, again |']);
    expect(out.match(/shells:start/g)).toHaveLength(1);
    expect(out.match(/\| shells \|/g)).toHaveLength(1);
    expect(out).toContain('| pages, again |');
    expect(out.indexOf('| shells |')).toBeLessThan(out.indexOf('## Workshop'));
  });
});
