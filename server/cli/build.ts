import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_DIR, REPO_ROOT } from '../paths.ts';

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
 * Builds the site with Astro when dist/ is missing or older than its sources, or was built for
 * another base path (`base`, or when forced).
 * Resolves true when it built. `onStart` runs just before a build begins.
 */
export async function buildIfNeeded(force = false, onStart: () => void = () => {}, base = '/'): Promise<boolean> {
  if (!force && !siteIsStale() && builtBase() === base) return false;
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
  return true;
}
