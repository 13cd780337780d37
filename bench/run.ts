/**
 * `npm run bench [-- --only throughput,echo] [--runs N] [--warmup N] [--out FILE]`: runs the
 * benchmarks (each several times after a warm-up), prints min / median / max, and writes
 * bench/RESULTS.md with the machine it ran on. Targets are reported, never enforced.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checks } from './checks.ts';
import { machine } from './lib/machine.ts';
import { REPO_ROOT } from './lib/proc.ts';
import { type Bench, mergeResults, type Section, sectionMarkdown, sectionText } from './lib/report.ts';
import { memory } from './memory.ts';
import { pages } from './pages.ts';
import { echo, interrupt, throughput } from './terminal.ts';

const BENCHES: Record<string, Bench> = { throughput, echo, interrupt, memory, checks, pages };

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'RESULTS.md') },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(`Usage: npm run bench -- [--only ${Object.keys(BENCHES).join(',')}] [--runs N] [--warmup N] [--out FILE]`);
  process.exit(0);
}
const only = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES);
for (const name of only) {
  if (!BENCHES[name]) {
    console.error(`There is no benchmark "${name}"; choose from ${Object.keys(BENCHES).join(', ')}.`);
    process.exit(2);
  }
}
const runs = Number(values.runs);
const warmup = Number(values.warmup);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
  console.error('--runs must be a whole number from 1 on, --warmup from 0 on.');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'tutorial-bench-'));
const m = machine();
const started = performance.now();
const sections: Section[] = [];
/** Load average (1 min) before and after each benchmark: other work on the machine moves every figure. */
const loads: string[] = [];
const failures: string[] = [];
const log = (line: string) => console.log(line);
try {
  for (const name of only) {
    const t0 = performance.now();
    const load0 = loadavg()[0]!;
    log(`\n# ${name}`);
    try {
      const s = await BENCHES[name]!({ runs, warmup, tmp, log });
      sections.push(s);
      log(sectionText(s));
    } catch (err) {
      const msg = `${name} did not finish: ${(err as Error).stack ?? String(err)}`;
      failures.push(msg);
      console.error(msg);
    }
    const took = (performance.now() - t0) / 1000;
    loads.push(`${name} ${took.toFixed(0)} s, load ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
    log(`  (${name} took ${took.toFixed(0)} s)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const total = (performance.now() - started) / 1000;
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const header = [
  '# Benchmark results',
  '',
  `Written by \`${command}\` (bench/run.ts) on ${m.date}; the whole run took ${total.toFixed(0)} s. ${runs} measured run${runs === 1 ? '' : 's'} after ${warmup} warm-up run${warmup === 1 ? '' : 's'} per figure unless a section says otherwise; targets are compared with the median. See bench/README.md for what each benchmark measures.`,
  '',
  `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}; ${m.memory} memory; Linux ${m.kernel}; Node ${m.node}.`,
  '',
  `Duration and 1-minute load average before → after each benchmark (other work on the machine moves the figures): ${loads.join('; ')}.`,
].join('\n');
const generated = [
  ...sections.map((s) => sectionMarkdown(s)),
  ...(failures.length ? [['## Benchmarks that did not finish', '', ...failures.map((f) => `- ${f.split('\n')[0]}`)].join('\n')] : []),
];
writeFileSync(values.out!, mergeResults(existsSync(values.out!) ? readFileSync(values.out!, 'utf8') : '', header, generated));
log(`\nWrote ${values.out} (${total.toFixed(0)} s in all).`);
process.exit(failures.length ? 1 : 0);
