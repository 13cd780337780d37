import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../paths.ts';
import { run } from './image.ts';

/**
 * The image seed: the stack's images, saved once on the host (`docker save`) into a folder that
 * every learner's engine mounts read-only and loads when it starts (workshop/image/learner-engine.sh
 * seed), so that no learner's `docker compose up` pulls from Docker Hub (10 anonymous pulls per
 * hour per address). Chosen over a registry by measurement (bench/RESULTS.md, workshop section).
 */

const COMPOSE_DIR = join(REPO_ROOT, 'compose');

/** compose/.env as a map (the values the compose file's ${VAR} take). */
function composeEnv(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readFileSync(join(COMPOSE_DIR, '.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

/** ${VAR}, ${VAR:-default}, ${VAR:?message} with these values. */
function substitute(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}/g, (all, name: string) => {
    const dflt = /:-([^}]*)\}$/.exec(all)?.[1];
    return vars.get(name) ?? dflt ?? '';
  });
}

interface ComposeService {
  image?: string;
  build?: { context?: string; args?: Record<string, string> } | string;
}

/**
 * The images a learner's `docker compose up` needs from a registry: every service's image that
 * is not built, and the images the built ones start FROM (their Dockerfiles' ARG defaults, with
 * the compose file's build args over them).
 */
export function stackImages(): string[] {
  const vars = composeEnv();
  const compose = parse(readFileSync(join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
  const images = new Set<string>();
  for (const service of Object.values(compose.services)) {
    if (!service.build) {
      if (service.image) images.add(substitute(service.image, vars));
      continue;
    }
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    const dockerfile = readFileSync(join(COMPOSE_DIR, build.context ?? '.', 'Dockerfile'), 'utf8');
    const args = new Map(vars);
    for (const m of dockerfile.matchAll(/^ARG ([A-Z0-9_]+)=(\S+)/gm)) if (!args.has(m[1]!)) args.set(m[1]!, m[2]!);
    for (const [k, v] of Object.entries(build.args ?? {})) args.set(k, substitute(v, vars));
    for (const m of dockerfile.matchAll(/^FROM\s+(\S+)/gm))
      images.add(m[1]!.replace(/\$\{?([A-Z0-9_]+)\}?/g, (_, n: string) => args.get(n) ?? ''));
  }
  return [...images].sort();
}

/** The default home of seeds: under ~/.cache/ds-tutorial, so that a second `up` reuses the first's. */
export function defaultSeedRoot(): string {
  return (
    process.env.WORKSHOP_IMAGE_SEED_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ds-tutorial', 'workshop-image-seed')
  );
}

export interface Seed {
  /** The host folder every engine mounts at /run/image-seed (images.tar, id). */
  dir: string;
  images: string[];
}

/**
 * Makes sure the stack's images are on this machine's engine (pulling those that are not), and
 * saves them into a seed folder named after their image ids; an unchanged set reuses the folder.
 * Says what it found, what it fetched and what it could not get. Undefined when no image is here.
 */
export async function ensureSeed(say: (line: string) => void, root = defaultSeedRoot()): Promise<Seed | undefined> {
  const found: string[] = [];
  const fetched: string[] = [];
  const missing: string[] = [];
  const ids: string[] = [];
  for (const image of stackImages()) {
    let id = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim();
    if (id) found.push(image);
    else {
      const pulled = await run('docker', ['pull', '-q', image], 600_000);
      id = pulled.code === 0 ? (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim() : '';
      if (id) fetched.push(image);
      else missing.push(`${image} (${pulled.stderr.trim().split('\n').pop() ?? 'pull failed'})`);
    }
    if (id) ids.push(`${image}=${id}`);
  }
  say(`Images for the learners' engines: found on this machine: ${found.join(', ') || 'none'}.`);
  if (fetched.length) say(`Fetched from their registries, once for the class: ${fetched.join(', ')}.`);
  if (missing.length) {
    say(
      `Not available, so every learner's engine pulls these itself when their stack starts: ${missing.join('; ')}. Pull them here (docker pull) and run up again to seed them.`,
    );
  }
  const images = ids.map((i) => i.slice(0, i.lastIndexOf('=')));
  if (!images.length) return undefined;
  const id = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 12);
  const dir = join(root, id);
  const tar = join(dir, 'images.tar');
  const size = () => `${Math.round(statSync(tar).size / 2 ** 20)} MiB`;
  if (existsSync(join(dir, 'id')) && readFileSync(join(dir, 'id'), 'utf8').trim() === id) {
    say(`The image seed ${dir} (${images.length} images, ${size()}) is up to date; each learner's engine loads it once.`);
    return { dir, images };
  }
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const saved = await run('docker', ['save', '-o', `${tar}.tmp`, ...images], 1_800_000);
  if (saved.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `Saving the stack's images into ${tar} failed: ${saved.stderr.trim()}. Check the disk space there (WORKSHOP_IMAGE_SEED_DIR moves it).`,
    );
  }
  renameSync(`${tar}.tmp`, tar);
  writeFileSync(join(dir, 'id'), `${id}\n`);
  // Read by every engine (the rootless ones as the learner's uid): readable by all, written by none.
  chmodSync(tar, 0o444);
  chmodSync(join(dir, 'id'), 0o444);
  chmodSync(dir, 0o755);
  for (const old of readdirSync(root)) if (old !== id) rmSync(join(root, old), { recursive: true, force: true });
  say(
    `Saved ${images.length} images (${size()}) into the image seed ${dir} in ${Math.round((Date.now() - started) / 1000)} s; each learner's engine loads it once.`,
  );
  return { dir, images };
}
