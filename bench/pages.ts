import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { join, posix } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { chromiumLaunch } from '../tests/helpers/env.ts';
import { startNodeOptions, startOurs } from './lib/backends.ts';
import { freePort, REPO_ROOT, stopChild, until, waitForLine } from './lib/proc.ts';
import { type Bench, type BenchContext, type Row, repeat, type Section } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

/**
 * Pages: bytes of JavaScript and CSS a chapter page and the overview load, time to interactive
 * in Chromium, `astro build` time (cold start) and warm start. Everything runs on a copy of the
 * repository's sources in a temporary folder, so the shared dist/ is never rebuilt or removed.
 */

const COPIED = [
  'src',
  'content',
  'protocol',
  'server',
  'public',
  'workspace',
  'compose',
  'astro.config.mjs',
  'package.json',
  'tsconfig.json',
];

/**
 * The copy lives under bench/.work/ (ignored by bench/.gitignore): inside the repository, so that
 * Node and Vite find node_modules by walking up (a symlinked node_modules confuses Astro's build).
 */
function copyRepo(): string {
  const root = join(REPO_ROOT, 'bench', '.work', `site-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const p of COPIED) if (existsSync(join(REPO_ROOT, p))) cpSync(join(REPO_ROOT, p), join(root, p), { recursive: true });
  return root;
}

async function timeBuild(root: string): Promise<number> {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'astro'), ['build'], {
      cwd: root,
      // Astro's telemetry would be an outside request.
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`astro build failed (${code}): ${err.slice(-2000)}`))));
  });
  return performance.now() - t0;
}

interface Asset {
  path: string;
  kind: 'js' | 'css';
  raw: number;
  gzip: number;
  brotli: number;
  how: 'static' | 'dynamic';
}

function compressed(buf: Buffer): { gzip: number; brotli: number } {
  return {
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const STATIC_IMPORT = /(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]*?\s*from\s*)?["'`]([^"'`]+\.m?js)["'`]/g;
const DYNAMIC_IMPORT = /import\(\s*["'`]([^"'`]+\.m?js)["'`]\s*\)/g;

/** Every JS and CSS file a page loads: its script and stylesheet tags, then the JS module graph. */
function pageAssets(dist: string, htmlPath: string): { assets: Asset[]; inlineJs: number } {
  const html = readFileSync(join(dist, htmlPath), 'utf8');
  const pageUrl = `/${htmlPath.replace(/index\.html$/, '')}`;
  const seen = new Map<string, Asset>();
  const queue: { url: string; how: 'static' | 'dynamic' }[] = [];
  const resolveUrl = (from: string, spec: string) => (spec.startsWith('/') ? spec : posix.join(posix.dirname(from), spec));
  const add = (url: string, how: 'static' | 'dynamic') => {
    const prev = seen.get(url);
    if (prev) {
      if (how === 'static') prev.how = 'static';
      return;
    }
    const file = join(dist, url);
    if (!existsSync(file)) return;
    const buf = readFileSync(file);
    const kind = url.endsWith('.css') ? 'css' : 'js';
    seen.set(url, { path: url, kind, raw: buf.length, ...compressed(buf), how });
    if (kind === 'js') queue.push({ url, how });
  };
  const scanJs = (text: string, from: string, how: 'static' | 'dynamic') => {
    for (const m of text.matchAll(STATIC_IMPORT)) add(resolveUrl(from, m[1]!), how);
    for (const m of text.matchAll(DYNAMIC_IMPORT)) add(resolveUrl(from, m[1]!), 'dynamic');
  };
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) add(resolveUrl(pageUrl, m[1]!), 'static');
  for (const m of html.matchAll(/<link\b[^>]*>/g)) {
    const tag = m[0];
    const href = /href="([^"]+)"/.exec(tag)?.[1];
    if (!href) continue;
    if (/rel="stylesheet"/.test(tag) && !/media="print"/.test(tag)) add(resolveUrl(pageUrl, href), 'static');
    if (/rel="modulepreload"/.test(tag)) add(resolveUrl(pageUrl, href), 'static');
  }
  let inlineJs = 0;
  for (const m of html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
    inlineJs += Buffer.byteLength(m[1]!);
    scanJs(m[1]!, pageUrl, 'static');
  }
  for (let i = 0; i < queue.length; i++) {
    const { url, how } = queue[i]!;
    scanJs(readFileSync(join(dist, url), 'utf8'), url, seen.get(url)?.how ?? how);
  }
  return { assets: [...seen.values()], inlineJs };
}

function bytesRows(name: string, dist: string, htmlPath: string, notes: string[]): Row[] {
  const { assets, inlineJs } = pageAssets(dist, htmlPath);
  const sum = (f: (a: Asset) => boolean, k: 'raw' | 'gzip' | 'brotli') => assets.filter(f).reduce((s, a) => s + a[k], 0) / 1000;
  const rows: Row[] = [];
  for (const kind of ['js', 'css'] as const) {
    for (const scope of ['static', 'all'] as const) {
      const f = (a: Asset) => a.kind === kind && (scope === 'all' || a.how === 'static');
      const scopeText = kind === 'css' ? '' : scope === 'static' ? ', static imports' : ', with dynamic imports';
      if (kind === 'css' && scope === 'all') continue;
      for (const k of ['raw', 'gzip', 'brotli'] as const) {
        rows.push({ label: `${name}: ${kind.toUpperCase()}${scopeText}, ${k}`, unit: 'KB', values: [sum(f, k)], digits: 1 });
      }
    }
  }
  const top = assets
    .filter((a) => a.kind === 'js')
    .sort((a, b) => b.gzip - a.gzip)
    .slice(0, 5)
    .map((a) => `${a.path.replace('/_astro/', '')} ${(a.gzip / 1000).toFixed(1)} KB gzip (${a.how})`);
  notes.push(
    `${name} (${htmlPath}): ${assets.length} files; ${(inlineJs / 1000).toFixed(1)} KB of inline script in the HTML (not in the sums); largest JS: ${top.join('; ')}.`,
  );
  return rows;
}

function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/** The command line `npm start` ends in (package.json's start script, after its build step). */
function startArgv(): string[] {
  return [...startNodeOptions(), 'build/server/start.js', 'start'];
}

/** The built server (`node build/server/start.js start`, as `npm start` runs it) in the copy, timed to the URL line and to /healthz answering. */
async function warmStart(root: string, ctx: BenchContext): Promise<{ line: number; healthy: number }> {
  const port = await freePort();
  const state = mkdtempSync(join(ctx.tmp, 'state-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [...startArgv(), '--port', String(port), '--state', state, '--workspace', join(state, 'ws')], {
    cwd: root,
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_DISABLE_COMPILE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  try {
    const { at } = await waitForLine(child, /ready at http/, 60_000);
    await until(() => healthz(port), '/healthz', 30_000, 2);
    return { line: at - t0, healthy: performance.now() - t0 };
  } finally {
    // The server and anything it started: end the whole group.
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // Gone.
    }
    await stopChild(child);
  }
}

export const pages: Bench = async (ctx) => {
  ctx.log('pages: copying the sources and building the site in a temporary folder');
  const root = copyRepo();
  try {
    return await measure(ctx, root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};

async function measure(ctx: BenchContext, root: string): Promise<Section> {
  const rows: Row[] = [];
  const notes: string[] = [];
  // Cold start = astro build (fewer runs: it is long) + warm start.
  const buildRuns = Math.min(ctx.runs, 2);
  const builds = await repeat({ ...ctx, runs: buildRuns, warmup: 0 }, 'astro build', () => timeBuild(root));
  const dist = join(root, 'dist');

  const chapters = readdirSync(join(dist, 'chapters')).filter((d) => existsSync(join(dist, 'chapters', d, 'index.html')));
  const chapter = chapters.includes('hello-terminal') ? 'hello-terminal' : chapters[0]!;
  rows.push(...bytesRows(`chapter page /chapters/${chapter}/`, dist, `chapters/${chapter}/index.html`, notes));
  rows.push(...bytesRows('overview /', dist, 'index.html', notes));

  // The server as npm start builds it (server/bundle.mjs; npm start's own step, untimed: it only
  // compares a stamp when nothing changed).
  const bundled = spawnSync(process.execPath, ['server/bundle.mjs'], { cwd: root, encoding: 'utf8' });
  if (bundled.status !== 0) throw new Error(`node server/bundle.mjs failed in ${root}: ${bundled.stderr}${bundled.stdout}`);
  const warm = await repeat(ctx, 'warm start', () => warmStart(root, ctx));
  rows.push({
    label: '`astro build` (the build part of a cold start)',
    unit: 's',
    values: builds.map((b) => b / 1000),
    digits: 1,
    note: `${buildRuns} runs, no warm-up`,
  });
  rows.push({
    label: `warm start: \`node ${startArgv().join(' ')}\` → URL line`,
    unit: 'ms',
    values: warm.map((w) => w.line),
    digits: 0,
  });
  rows.push({
    label: 'warm start: → /healthz answers',
    unit: 'ms',
    values: warm.map((w) => w.healthy),
    digits: 0,
    target: { op: '<', value: 1500, text: '< 1,500 ms' },
  });
  rows.push({
    label: 'cold start: `astro build` + warm start (median + median)',
    unit: 's',
    values: [(summarize(builds).median + summarize(warm.map((w) => w.healthy)).median) / 1000],
    digits: 1,
  });

  // Time to interactive in Chromium: our server (child process) serving the copy's dist/.
  const backend = await startOurs({ distDir: dist, contentDir: join(root, 'content'), stackStatusSeconds: 5 });
  const loaded = { chapter: new Set<string>(), overview: new Set<string>() };
  const browser = await chromium.launch(chromiumLaunch);
  // Each context is a browser that has signed in (an empty cache, the session cookie set).
  const signedIn = async () => {
    const context = await browser.newContext();
    const [name, value] = backend.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: `http://127.0.0.1:${backend.port}`, httpOnly: true, sameSite: 'Strict' }]);
    return context;
  };
  try {
    const tti = await repeat(ctx, 'time to interactive', async () => {
      const context = await signedIn();
      const page = await context.newPage();
      page.on('request', (req) => {
        if (['script', 'stylesheet'].includes(req.resourceType())) loaded.chapter.add(new URL(req.url()).pathname);
      });
      // Record when the terminal dock first says Connected, in the page's own clock (ms since navigation start).
      // A string, not a function: tsx would wrap a function's inner names in a helper the page lacks.
      await page.addInitScript(`
        new MutationObserver(() => {
          const s = document.querySelector('.terminal-dock__status');
          if (window.__connectedAt === undefined && s && s.textContent.includes('Connected')) window.__connectedAt = performance.now();
        }).observe(document, { subtree: true, childList: true, characterData: true });
      `);
      await page.goto(`http://127.0.0.1:${backend.port}/chapters/${chapter}/`, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { __connectedAt?: number }).__connectedAt !== undefined, null, {
        timeout: 30_000,
      });
      const r = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return {
          connected: (window as unknown as { __connectedAt: number }).__connectedAt,
          load: nav.loadEventEnd,
          dcl: nav.domContentLoadedEventEnd,
        };
      });
      await context.close();
      return r;
    });
    // What the overview really loads (one visit, after the page has settled).
    {
      const context = await signedIn();
      const page = await context.newPage();
      page.on('request', (req) => {
        if (['script', 'stylesheet'].includes(req.resourceType())) loaded.overview.add(new URL(req.url()).pathname);
      });
      await page.goto(`http://127.0.0.1:${backend.port}/`, { waitUntil: 'networkidle' });
      await context.close();
    }
    for (const [name, urls] of [
      [`chapter page /chapters/${chapter}/`, loaded.chapter],
      ['overview /', loaded.overview],
    ] as const) {
      const files = [...urls].filter((u) => existsSync(join(dist, u)));
      for (const kind of ['js', 'css'] as const) {
        const bufs = files.filter((u) => (kind === 'css' ? u.endsWith('.css') : /\.m?js$/.test(u))).map((u) => readFileSync(join(dist, u)));
        const c = bufs.map(compressed);
        for (const [k, v] of [
          ['raw', bufs.reduce((a, b) => a + b.length, 0)],
          ['gzip', c.reduce((a, b) => a + b.gzip, 0)],
          ['brotli', c.reduce((a, b) => a + b.brotli, 0)],
        ] as const) {
          const target =
            kind === 'js' && k !== 'raw' && name.startsWith('chapter') ? { op: '<=' as const, value: 250, text: '≤ 250 KB' } : undefined;
          rows.push({
            label: `${name}: ${kind.toUpperCase()} Chromium loaded, ${k}`,
            unit: 'KB',
            values: [v / 1000],
            digits: 1,
            ...(target ? { target } : {}),
          });
        }
      }
      notes.push(`${name}: Chromium requested ${files.length} JS/CSS files: ${files.map((f) => f.replace('/_astro/', '')).join(', ')}.`);
    }
    rows.push({ label: `chapter page: navigation start → DOMContentLoaded`, unit: 'ms', values: tti.map((t) => t.dcl), digits: 0 });
    rows.push({ label: `chapter page: navigation start → load event`, unit: 'ms', values: tti.map((t) => t.load), digits: 0 });
    rows.push({
      label: `chapter page: navigation start → terminal dock says Connected`,
      unit: 'ms',
      values: tti.map((t) => t.connected),
      digits: 0,
    });
  } finally {
    await browser.close();
    await backend.stop();
  }
  notes.push(
    'Our server sends these files uncompressed (server/web/http.ts: sirv with gzip and brotli off), so on the wire a page costs the raw figure; gzip (level 9) and brotli (quality 11) are what each file would cost compressed one by one. Static imports load with the page; dynamic ones when the code asks for them (the terminal), so the module-graph rows are bounds and the "Chromium loaded" rows (every script and stylesheet request of a real visit, sized from dist/) are what a page really costs.',
    "Each time-to-interactive run uses a fresh browser context (empty cache) in one headless Chromium; Connected is observed with a MutationObserver on the dock's status element, in the page's clock.",
  );
  return {
    id: 'pages',
    title: 'Pages',
    method:
      'A copy of the sources (src, content, protocol, server, public, workspace, compose, configs) in bench/.work/ (removed afterwards) is built with `astro build`, so the shared dist/ is never touched. Bytes: the JS and CSS a page loads, from its script and stylesheet tags and the JS module graph (static and dynamic imports), 1 KB = 1,000 bytes, one value (deterministic). Warm start: the built server as `npm start` runs it after its build step (`node [its Node options] build/server/start.js start`, built once beforehand with `node server/bundle.mjs`) with dist/ present, from spawn to the URL line and to `GET /healthz` answering. Cold start: measured as `astro build` time plus warm start (removing the shared dist/ is not an option while others test). Time to interactive: headless Chromium (playwright-core, /usr/bin/chromium) opening a chapter page served by our server.',
    rows,
    notes,
  };
}
