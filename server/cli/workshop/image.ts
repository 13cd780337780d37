import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../paths.ts';

/** The workspace image's Dockerfile and what it copies from the repository (see .dockerignore). */
export const DOCKERFILE = join(REPO_ROOT, 'workshop', 'image', 'Dockerfile');
const VENDOR = join(REPO_ROOT, 'workshop', 'image', 'vendor');
const INPUTS = [
  'package.json',
  'package-lock.json',
  'astro.config.mjs',
  'tsconfig.json',
  '.dockerignore',
  'protocol',
  'server',
  'src',
  'public',
  'compose',
  'workspace',
  'content',
  'workshop/image',
  'workshop/proxy',
];
const SKIP = new Set(['__pycache__', '.venv', 'build', 'node_modules']);
/** Not in the image (.dockerignore): the workshop command itself. */
const SKIP_PATHS = new Set(['server/cli/workshop.ts', 'server/cli/workshop']);
export const IMAGE_REPOSITORY = 'tutorial-workshop/workspace';
/** The official base image the Dockerfile starts FROM (its ARG PYTHON_IMAGE). */
export const BASE_IMAGE = /ARG PYTHON_IMAGE=(\S+)/.exec(readFileSync(DOCKERFILE, 'utf8'))?.[1] ?? 'python:3.12.11-slim-bookworm';

/** Runs a command (with `env` in place of this process's environment); resolves with its exit status and output (never rejects). */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 60_000,
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, ...(env ? { env } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && !stdout ? err.message : '')) });
    });
  });
}

/** Every file the image is built from, in a stable order. */
function inputFiles(): string[] {
  const files: string[] = [];
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const child = join(p, name);
        if (!SKIP.has(name) && !name.endsWith('.egg-info') && !SKIP_PATHS.has(relative(REPO_ROOT, child))) walk(child);
      }
    } else if (st.isFile()) files.push(p);
  };
  for (const p of INPUTS) walk(join(REPO_ROOT, p));
  return files;
}

/** The image's tag: a hash of everything it is built from, so a change to any of it builds anew. */
export function imageTag(): string {
  const h = createHash('sha256');
  for (const f of inputFiles()) {
    h.update(relative(REPO_ROOT, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return `${IMAGE_REPOSITORY}:${h.digest('hex').slice(0, 12)}`;
}

export async function imageExists(name: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', name])).code === 0;
}

/** The Compose v2 plugin this machine's `docker compose` runs, if it has one. */
function composePlugin(): string | undefined {
  const dirs = [
    join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
  return dirs.map((d) => join(d, 'docker-compose')).find((p) => existsSync(p));
}

/**
 * Puts into workshop/image/vendor/ what the image takes from this machine (ignored by git): the
 * Compose plugin (so the build needs no download from GitHub) and this machine's extra certificate
 * authorities (without them nothing downloads behind a TLS-inspecting proxy). Returns what it did.
 */
export function vendorFromMachine(): string[] {
  const notes: string[] = [];
  const compose = composePlugin();
  const target = join(VENDOR, 'docker-compose');
  if (compose && !existsSync(target)) {
    copyFileSync(compose, target);
    notes.push(`Docker Compose plugin copied from ${compose}`);
  }
  const cas = '/usr/local/share/ca-certificates';
  if (existsSync(cas)) {
    mkdirSync(join(VENDOR, 'ca-certificates'), { recursive: true });
    const crts = readdirSync(cas).filter((f) => f.endsWith('.crt'));
    for (const f of crts) copyFileSync(join(cas, f), join(VENDOR, 'ca-certificates', f));
    if (crts.length) notes.push(`this machine's extra CA certificates added (${crts.join(', ')})`);
  }
  return notes;
}

/**
 * Builds the image with the repository as its context and host networking (npm and PyPI are
 * reached from the build). The legacy builder is used when BuildKit's buildx plugin is missing.
 * The whole output goes to `logFile`. Resolves with the seconds it took; rejects with the log's tail.
 */
export async function buildImage(tag: string, logFile: string, onLine: (line: string) => void = () => {}): Promise<number> {
  const buildx = (await run('docker', ['buildx', 'version'])).code === 0;
  const started = Date.now();
  const log = createWriteStream(logFile);
  const child = spawn('docker', ['build', '--network', 'host', '-f', DOCKERFILE, '-t', tag, '.'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DOCKER_BUILDKIT: buildx ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const take = (d: Buffer) => {
    log.write(d);
    tail = (tail + d.toString()).slice(-4000);
    for (const line of d.toString().split('\n')) if (/^Step \d+\/\d+ : FROM|^#\d+ \[.*\] FROM/.test(line)) onLine(line.trim());
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  await new Promise<void>((r) => log.end(r));
  if (code !== 0) throw new Error(`Building the workspace image failed (the whole log is in ${logFile}):\n${tail.trim()}`);
  return Math.round((Date.now() - started) / 100) / 10;
}
