// Builds the server and its command-line programs into plain JavaScript (build/server/*.js), so
// that `npm start`, `npm run check`, `npm run tutorial`, `npm run teardown` and `npm run workshop`
// run with Node alone. Plain JavaScript on purpose: this file runs before anything is built.
//
// Why ahead of time: running TypeScript through tsx compiles it at run time and keeps the result
// in a cache under the system's temp folder (/tmp/tsx-<uid>), a folder another user of the machine
// can create first and fill with their own code, which the next start would then run as the
// learner. A build in the repository's own folder, done by the learner, leaves nothing to plant.
//
// `node server/bundle.mjs` builds when a source is newer than the last build (a few milliseconds
// when nothing changed, about a second when something did); `--force` always builds.
// Each program is one self-contained file (no shared chunks). The plain-JavaScript packages the
// server needs at start (BUNDLED) are built into it; the others (node-pty's native part, dockerode
// and @xterm/headless, which load at their first use) stay in node_modules. How this keeps the idle
// server small is said at `packagesPlugin`.
// Files the server reads at run time (chapters, the site, the shells' rc files) are found from the
// repository's root (server/paths.ts), never from the bundle's own place.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'build', 'server');
/**
 * The programs: build/server/<name>.js from server/cli/<name>.ts, those whose source is here (the
 * workspace image leaves the workshop command out: it runs on the instructor's machine).
 */
export const PROGRAMS = ['start', 'check', 'tutorial', 'teardown', 'workshop'].filter((p) =>
  existsSync(join(ROOT, 'server', 'cli', `${p}.ts`)),
);
const STAMP = join(OUT_DIR, '.built');
/** What the programs are built from. */
const SOURCES = ['server', 'protocol', 'package.json', 'package-lock.json'];

function newestSource() {
  let newest = 0;
  const walk = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') walk(join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of SOURCES) walk(join(ROOT, p));
  return newest;
}

/** True when a program is missing or older than a source. */
export function serverIsStale() {
  if (!existsSync(STAMP)) return true;
  if (PROGRAMS.some((p) => !existsSync(join(OUT_DIR, `${p}.js`)))) return true;
  // The stamp holds the newest source time the build saw (a number, exact to the nanosecond's share Node reports).
  return !(Number(readFileSync(STAMP, 'utf8')) >= newestSource());
}

/** Writes a file whole or not at all: two builds at once (two starts) never leave half a file. */
function writeWhole(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, contents, { mode: 0o644 });
  try {
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/** Packages built into the programs: plain JavaScript that the server loads at start anyway. */
export const BUNDLED = ['zod', 'ws', 'yaml', 'mrmime'];

/** `zod` for `zod`, `@xterm/headless` for `@xterm/headless/lib/x.js`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * How the programs load what is not their own code, chosen for the idle server's memory
 * (bench/RESULTS.md, "Idle memory"):
 * - BUNDLED packages are built in: one file instead of about 180 (zod alone is 95) that Node would
 *   resolve, read and compile one by one at every start. Only the parts the code uses are kept
 *   (zod is imported as `import * as z from 'zod'`, so its 40 locales stay out).
 * - Node's built-in modules and the packages left in node_modules are loaded with require(), not
 *   import: an ES import of `node:http` makes Node build an ES view of all its exports, which
 *   reads `http.WebSocket` and so loads undici, Node's fetch client (about 10 MB), at start instead
 *   of at the first fetch() (server/stack/http.ts, when a check or the stack panel asks); an ES import of a CommonJS package (node-pty) makes Node scan its source
 *   for export names first.
 * - Dynamic `import()` (dockerode at the first Docker call) stays as it is.
 */
const packagesPlugin = {
  name: 'tutorial-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.namespace === 'required') return { path: args.path, external: true };
      if (!args.path.startsWith('node:') && BUNDLED.includes(packageOf(args.path))) return undefined;
      if (args.kind === 'import-statement') return { path: args.path, namespace: 'required' };
      return { path: args.path, external: true };
    });
    // The banner defines `require` (createRequire), which esbuild's CommonJS wrapper calls.
    build.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** Builds every program when stale (or when `force`); resolves true when it built. */
export async function buildServer(force = false) {
  if (!force && !serverIsStale()) return false;
  const started = newestSource();
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new Error(
      `The server cannot be built: the package esbuild is missing (${err.message}). Install the project's packages with \`npm ci\` in ${ROOT}, then start again.`,
    );
  }
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(PROGRAMS.map((p) => [p, `server/cli/${p}.ts`])),
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    plugins: [packagesPlugin],
    // Escaped, so Node holds the program's source as one byte per character (zod has non-ASCII
    // text; one such character would make V8 keep the whole file as two bytes per character).
    charset: 'ascii',
    sourcemap: 'linked',
    // Names in stack traces stay readable.
    minify: false,
    logLevel: 'silent',
    write: false,
    // An ES module bundle has no require(); some CommonJS helpers esbuild emits would call it.
    banner: { js: "import { createRequire as __tutorialRequire } from 'node:module'; const require = __tutorialRequire(import.meta.url);" },
  });
  for (const f of result.outputFiles) {
    // charset 'ascii' escapes every string, regular expression and name, but comments keep their
    // characters (an arrow, a dash): one is enough for V8 to hold the whole program as two bytes
    // per character. In comments they can go; one '?' per UTF-16 unit keeps the source map's columns.
    writeWhole(f.path, f.path.endsWith('.js') ? f.text.replace(/[^\0-\x7f]/gu, (c) => '?'.repeat(c.length)) : f.contents);
  }
  // Stamped with the sources' time as they were when the build began: a file changed during the
  // build makes the next start build again.
  writeWhole(STAMP, `${started}\n`);
  return true;
}

// `node server/bundle.mjs [--force]`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  buildServer(force).then(
    (built) => {
      if (built && process.argv.includes('--verbose')) console.log(`Built the server into ${relative(process.cwd(), OUT_DIR) || '.'}.`);
    },
    (err) => {
      console.error(err.errors?.length ? `Building the server failed:\n${err.message}` : err.message);
      process.exit(1);
    },
  );
}
