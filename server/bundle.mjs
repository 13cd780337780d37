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
// Each program is one self-contained file (no shared chunks), and the packages in node_modules stay
// outside it (node-pty and dockerode carry native or CommonJS parts), loaded as plain JavaScript.
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
    // Every package stays in node_modules: native parts (node-pty), CommonJS (dockerode, ws).
    packages: 'external',
    sourcemap: 'linked',
    // Names in stack traces stay readable.
    minify: false,
    logLevel: 'silent',
    write: false,
    // An ES module bundle has no require(); some CommonJS helpers esbuild emits would call it.
    banner: { js: "import { createRequire as __tutorialRequire } from 'node:module'; const require = __tutorialRequire(import.meta.url);" },
  });
  for (const f of result.outputFiles) writeWhole(f.path, f.contents);
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
