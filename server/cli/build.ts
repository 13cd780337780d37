import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_DIR, REPO_ROOT } from '../paths.ts';
import { ensurePrivateFolder } from '../private-fs.ts';

/** The newest modification time of anything the site is built from. */
function newestSource(): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') walk(join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'content', 'protocol', 'public', 'astro.config.mjs', 'package.json']) walk(join(REPO_ROOT, p));
  return newest;
}

/** True when dist/ is missing or older than the site's sources. */
export function siteIsStale(): boolean {
  const stamp = join(DIST_DIR, 'index.html');
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource();
}

/** The base path dist/ was built for (workshop mode: /user/<name>/tutorial/), "/" when unrecorded. */
function builtBase(): string {
  try {
    return readFileSync(join(DIST_DIR, '.base'), 'utf8');
  } catch {
    return '/';
  }
}

/**
 * A folder that keeps a copy of the site built for one base path, for the next start:
 * TUTORIAL_SITE_CACHE. Workshop mode sets it to a folder in the learner's home volume, since each
 * start of a workspace is a new container whose dist/ is the image's, built for "/"; without the
 * copy every restart would build the learner's site again (tens of seconds of CPU, more while a
 * class starts). The copy is named after the base path and the sources' newest change, so a new
 * image or another path never takes an old one.
 */
function cachedSite(cacheDir: string, base: string): string {
  const key = createHash('sha256').update(`${base}\0${newestSource()}`).digest('hex').slice(0, 16);
  return join(cacheDir, `site-${key}`);
}

/** Puts the cached copy of the site for `base` in place of dist/; false when there is none. */
function restoreSite(cacheDir: string, base: string): boolean {
  const copy = cachedSite(cacheDir, base);
  if (!existsSync(join(copy, 'index.html'))) return false;
  const fresh = `${DIST_DIR}.restore-${randomBytes(4).toString('hex')}`;
  try {
    cpSync(copy, fresh, { recursive: true });
    rmSync(DIST_DIR, { recursive: true, force: true });
    renameSync(fresh, DIST_DIR);
    return true;
  } catch {
    // A copy that cannot be put in place (a full disk, a damaged cache) costs a build, nothing more.
    rmSync(fresh, { recursive: true, force: true });
    return false;
  }
}

/** Keeps a copy of dist/ (built for `base`) in the cache folder, in place of any older one. */
function saveSite(cacheDir: string, base: string): void {
  ensurePrivateFolder(cacheDir, { what: 'site cache folder (TUTORIAL_SITE_CACHE)' });
  const copy = cachedSite(cacheDir, base);
  const partial = `${copy}.partial-${randomBytes(4).toString('hex')}`;
  cpSync(DIST_DIR, partial, { recursive: true });
  for (const old of readdirSync(cacheDir)) {
    if (old.startsWith('site-') && join(cacheDir, old) !== partial) rmSync(join(cacheDir, old), { recursive: true, force: true });
  }
  renameSync(partial, copy);
}

/**
 * Builds the site with Astro when dist/ is missing or older than its sources, or was built for
 * another base path (`base`, or when forced); where TUTORIAL_SITE_CACHE keeps a copy built for
 * that base from the same sources, that copy is put in place instead.
 * Resolves true when it built. `onStart` runs just before a build begins.
 */
export async function buildIfNeeded(
  force = false,
  onStart: () => void = () => {},
  base = '/',
  cacheDir = process.env.TUTORIAL_SITE_CACHE,
): Promise<boolean> {
  if (!force && !siteIsStale() && builtBase() === base) return false;
  if (!force && cacheDir && restoreSite(cacheDir, base) && !siteIsStale() && builtBase() === base) return false;
  onStart();
  // A child process with NODE_ENV=production and without the variables a test runner sets
  // (Vitest puts DEV=1, MODE=test, SSR, BASE_URL into process.env): Astro takes them over and
  // then builds a development site, without search.
  const astro = join(REPO_ROOT, 'node_modules', '.bin', 'astro');
  // Astro's command line turns on Node's compile cache, which Node keeps in the system's temp
  // folder (node-compile-cache), a folder another user could create first and fill: off.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', TUTORIAL_BASE: base, NODE_DISABLE_COMPILE_CACHE: '1' };
  delete env.NODE_COMPILE_CACHE;
  for (const k of Object.keys(env)) if (/^(DEV|PROD|MODE|SSR|BASE_URL|TEST|VITEST.*)$/.test(k)) delete env[k];
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    let output = '';
    const child = spawn(astro, ['build', '--silent'], { cwd: REPO_ROOT, env });
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
  if (result.code !== 0) throw new Error(`Building the site failed:\n${result.output.trim()}`);
  writeFileSync(join(DIST_DIR, '.base'), base);
  // A cache that cannot be written costs the next start a build, nothing more.
  if (cacheDir) {
    try {
      saveSite(cacheDir, base);
    } catch (e) {
      process.stderr.write(`The built site was not kept for the next start (${(e as Error).message}).\n`);
    }
  }
  return true;
}
