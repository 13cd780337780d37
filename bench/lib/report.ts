import { type Summary, summarize } from './stats.ts';

/** A target a figure is compared with (on its median); benchmarks never fail on it. */
export interface Target {
  op: '<' | '<=' | '>=' | '>';
  value: number;
  /** How the target reads in the report: "≥ 80% of raw pty". */
  text: string;
}

export interface Row {
  label: string;
  unit: string;
  /** One value per measured run (warm-up excluded). */
  values: number[];
  digits?: number;
  target?: Target;
  note?: string;
}

export interface Section {
  id: string;
  title: string;
  /** What was measured and how, in a sentence or two. */
  method: string;
  rows: Row[];
  /** Findings: what limits a missed target, diagnostics. */
  notes: string[];
}

export interface BenchContext {
  runs: number;
  warmup: number;
  tmp: string;
  log(line: string): void;
}

export type Bench = (ctx: BenchContext) => Promise<Section>;

export function verdict(row: Row): string {
  if (!row.target) return '';
  const m = summarize(row.values).median;
  if (Number.isNaN(m)) return 'not measured';
  const t = row.target;
  const met = t.op === '<' ? m < t.value : t.op === '<=' ? m <= t.value : t.op === '>=' ? m >= t.value : m > t.value;
  if (met) return 'met';
  const by = t.op.startsWith('<') ? m - t.value : t.value - m;
  const pct = t.value !== 0 ? ` (${((by / t.value) * 100).toFixed(0)}%)` : '';
  return `missed by ${fmt(by, row.digits ?? 1)} ${row.unit}${pct}`;
}

export function fmt(v: number, digits = 1): string {
  if (Number.isNaN(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function summaryOf(row: Row): Summary {
  return summarize(row.values);
}

/** A section as Markdown: a table with min / median / max and the target. */
export function sectionMarkdown(s: Section): string {
  const lines = [
    `## ${s.title}`,
    '',
    s.method,
    '',
    '| measure | unit | runs | min | median | max | target | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of s.rows) {
    const m = summarize(r.values);
    const d = r.digits ?? 1;
    lines.push(
      `| ${r.label}${r.note ? ` (${r.note})` : ''} | ${r.unit} | ${m.n} | ${fmt(m.min, d)} | ${fmt(m.median, d)} | ${fmt(m.max, d)} | ${r.target?.text ?? ''} | ${verdict(r)} |`,
    );
  }
  if (s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** A section as plain text for the console. */
export function sectionText(s: Section): string {
  const lines = [`== ${s.title}`];
  const w = Math.max(...s.rows.map((r) => r.label.length), 10);
  for (const r of s.rows) {
    const m = summarize(r.values);
    const d = r.digits ?? 1;
    const v = verdict(r);
    lines.push(
      `  ${r.label.padEnd(w)}  min ${fmt(m.min, d).padStart(9)}  median ${fmt(m.median, d).padStart(9)}  max ${fmt(m.max, d).padStart(9)} ${r.unit}${r.target ? `   target ${r.target.text}: ${v}` : ''}`,
    );
  }
  for (const n of s.notes) lines.push(`  * ${n}`);
  return lines.join('\n');
}

/** Runs `f` warm-up times unmeasured, then `runs` times, and returns the measured values. */
export async function repeat<T>(ctx: BenchContext, what: string, f: (i: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < ctx.warmup; i++) await f(-1 - i);
  const out: T[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    out.push(await f(i));
    ctx.log(`  ${what}: run ${i + 1}/${ctx.runs} done`);
  }
  return out;
}

/**
 * The results file with the sections that ran written anew and everything else kept: the sections
 * of benchmarks that did not run (`--only`), the dated `###` notes under a section (what was
 * measured before and why, written by hand), and the sections other scripts write between markers
 * (bench/stack-memory.ts: `<!-- stack-memory:start -->`).
 */
export function mergeResults(old: string, header: string, generated: string[]): string {
  const title = (block: string) => /^## (.+)$/m.exec(block)?.[1]?.trim();
  const blocks = old.split(/^(?=## )/m);
  const fresh = new Map(generated.map((g) => [title(g), g.trimEnd()]));
  const out: string[] = [header.trimEnd()];
  for (const block of blocks.slice(1)) {
    const t = title(block);
    const g = t === undefined ? undefined : fresh.get(t);
    if (g === undefined || t === 'Benchmarks that did not finish') {
      if (t !== 'Benchmarks that did not finish') out.push(block.trimEnd());
      continue;
    }
    fresh.delete(t);
    // What the benchmark writes comes first in its section; the dated notes and marked sections
    // after it stay.
    const rest = /^(?:### |<!-- [\w-]+:start -->)/m.exec(block);
    out.push(rest ? `${g}\n\n${block.slice(rest.index).trimEnd()}` : g);
  }
  out.push(...fresh.values());
  const text = `${out.join('\n\n')}\n`;
  // A marked section that was inside a part written anew is kept too.
  // Compared with their blank lines and spaces folded: splitting at the headings and joining the
  // blocks again moves a blank line around a marker that sits just above a heading.
  const fold = (x: string) => x.replace(/\s+/g, ' ');
  const all = fold(text);
  const lost = [...old.matchAll(/<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g)].map((k) => k[0]).filter((k) => !all.includes(fold(k)));
  return lost.length ? `${[text.trimEnd(), ...lost].join('\n\n')}\n` : text;
}
