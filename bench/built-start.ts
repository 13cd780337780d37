/**
 * `npm run bench -- ...` does not run this; `TSX_DISABLE_CACHE=1 npx tsx bench/built-start.ts [--runs N]`
 * does: `npm start`'s server run the way it ran before issue 19 (TypeScript through tsx's loader:
 * with its compile cache warm, in a private TMPDIR, and with no cache) and the way it runs now
 * (build/server/start.js, plain JavaScript), in turns, in the same run. For each: spawn → the URL
 * line, spawn → GET /healthz answering, and the resident size (VmRSS) of the server process 2 s
 * after /healthz answered, with no page open. Also the built server with the Node options of
 * package.json's start script, if it has any. `--built-only` leaves the tsx ways out.
 * `--against DIR` adds the built server of another checkout (e.g. `git worktree add DIR main`,
 * then `npm run build` there, node_modules linked or installed), started as that checkout's start
 * script starts it, in the same turns: a before/after under the same load. Prints a section for
 * bench/RESULTS.md, with the 1-minute load average at the start and the end.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startNodeOptions } from './lib/backends.ts';
import { machine } from './lib/machine.ts';
import { REPO_ROOT, rssOf, sleep, until } from './lib/proc.ts';
import { summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'built-only': { type: 'boolean', default: false }, against: { type: 'string' } },
});
const RUNS = Number(values.runs);
const MB = 1e6;

interface Mode {
  label: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The checkout it runs in (default: this one). */
  cwd?: string;
}

const privateTmp = mkdtempSync(join(tmpdir(), 'bench-built-start-'));
const base = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
const MODES: Mode[] = [
  {
    label: 'before: `node --import tsx server/cli/start.ts`, tsx cache warm (private TMPDIR)',
    argv: ['--import', 'tsx', 'server/cli/start.ts', 'start'],
    env: { ...base, TMPDIR: privateTmp, TSX_DISABLE_CACHE: '' },
  },
  {
    label: 'before: `node --import tsx server/cli/start.ts`, no tsx cache',
    argv: ['--import', 'tsx', 'server/cli/start.ts', 'start'],
    env: { ...base, TSX_DISABLE_CACHE: '1' },
  },
  { label: "after: `node build/server/start.js`, V8's default heap", argv: ['build/server/start.js', 'start'], env: base },
];
// As package.json's start script runs it now (its Node options: a smaller young generation).
const START_OPTIONS = startNodeOptions();
if (START_OPTIONS.length > 0) {
  MODES.push({
    label: `now: \`node ${START_OPTIONS.join(' ')} build/server/start.js\` (npm start)`,
    argv: [...START_OPTIONS, 'build/server/start.js', 'start'],
    env: base,
  });
}
if (values['built-only']) MODES.splice(0, 2);
const AGAINST = values.against ? resolve(values.against) : undefined;
if (AGAINST) {
  const options = startNodeOptions(AGAINST);
  MODES.push({
    label: `against ${AGAINST}: \`node ${[...options, 'build/server/start.js'].join(' ')}\` (its npm start)`,
    argv: [...options, 'build/server/start.js', 'start'],
    env: base,
    cwd: AGAINST,
  });
}
for (const m of MODES) if (m.env.TSX_DISABLE_CACHE === '') delete m.env.TSX_DISABLE_CACHE;

async function once(mode: Mode): Promise<{ url: number; healthz: number; rss: number }> {
  const state = mkdtempSync(join(tmpdir(), 'bench-built-start-state-'));
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...mode.argv, '--port', '0', '--state', state], {
    cwd: mode.cwd ?? REPO_ROOT,
    env: mode.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    const url = await until(() => /ready at (http:\/\/\S+\/)/.exec(out)?.[1], `the URL line (${out})`, 60_000);
    const tUrl = performance.now();
    await until(
      async () =>
        (await fetch(`${url}healthz`)
          .then((r) => r.ok)
          .catch(() => false)) || undefined,
      '/healthz',
      30_000,
    );
    const tHealth = performance.now();
    await sleep(2000);
    return { url: tUrl - t0, healthz: tHealth - t0, rss: rssOf(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    rmSync(state, { recursive: true, force: true });
  }
}

// Up to date before timing: the site (dist/) and the built server.
spawnSync(process.execPath, ['server/bundle.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
if (AGAINST) spawnSync(process.execPath, ['server/bundle.mjs'], { cwd: AGAINST, stdio: 'inherit' });
const loadBefore = loadavg()[0] as number;
// One untimed start (with the tsx modes: the warm-cache one, which fills tsx's cache), and one of the other checkout.
await once(MODES[0] as Mode);
if (AGAINST) await once(MODES.at(-1) as Mode);
const results = MODES.map(() => ({ url: [] as number[], healthz: [] as number[], rss: [] as number[] }));
for (let run = 0; run < RUNS; run++) {
  for (const [i, mode] of MODES.entries()) {
    const r = await once(mode);
    results[i]?.url.push(r.url);
    results[i]?.healthz.push(r.healthz);
    results[i]?.rss.push(r.rss / MB);
  }
}
rmSync(privateTmp, { recursive: true, force: true });

const loadAfter = loadavg()[0] as number;
const m = machine();
const row = (label: string, unit: string, v: number[]) => {
  const s = summarize(v);
  return `| ${label} | ${unit} | ${v.length} | ${s.min.toFixed(unit === 'MB' ? 1 : 0)} | ${s.median.toFixed(unit === 'MB' ? 1 : 0)} | ${s.max.toFixed(unit === 'MB' ? 1 : 0)} |`;
};
console.log(`\n## npm start's server: built JavaScript against TypeScript through tsx (issue 19)\n`);
console.log(
  `Written by \`TSX_DISABLE_CACHE=1 npx tsx bench/built-start.ts --runs ${RUNS}${values['built-only'] ? ' --built-only' : ''}${AGAINST ? ` --against ${AGAINST}` : ''}\` on ${new Date().toISOString()}; machine: ${m.nproc} CPUs, ${m.memory}, Linux ${m.kernel}, Node ${process.version}. The ${MODES.length} ways in turns, ${RUNS} runs each, after one untimed start that fills tsx's cache; dist/ present (no site build). Each start gets a fresh state folder; RSS is VmRSS of the server process 2 s after /healthz answered, no page open, no forced garbage collection. 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end (2 CPUs: above 2, other work was running).\n`,
);
console.log('| what | unit | n | min | p50 | max |\n|---|---|---|---|---|---|');
for (const [i, mode] of MODES.entries()) {
  const r = results[i] as { url: number[]; healthz: number[]; rss: number[] };
  console.log(row(`${mode.label}: spawn → URL line`, 'ms', r.url));
  console.log(row(`${mode.label}: spawn → /healthz answers`, 'ms', r.healthz));
  console.log(row(`${mode.label}: idle RSS`, 'MB', r.rss));
}
