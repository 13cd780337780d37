import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { REPO_ROOT } from '../../paths.ts';
import { run } from './image.ts';

export const HUB_DIR = join(REPO_ROOT, 'workshop', 'hub');
const HUB_CONFIG = join(HUB_DIR, 'jupyterhub_config.py');
const HUB_REQUIREMENTS = join(HUB_DIR, 'requirements.txt');
const NPM_DIR = join(REPO_ROOT, 'workshop');
export const CHP = join(NPM_DIR, 'node_modules', '.bin', 'configurable-http-proxy');

/** The learners' (and the instructor's) accounts; kept 0600 in the state folder. */
export const AccountsSchema = z.object({
  learners: z.array(z.object({ name: z.string(), password: z.string() })),
  instructor: z.object({ name: z.string(), password: z.string() }),
});
export type Accounts = z.output<typeof AccountsSchema>;

/** What `up` recorded for `status` and `down` (0600: it holds the command line's hub token). */
export const WorkshopStateSchema = z.object({
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
  url: z.string(),
  image: z.string(),
  network: z.string(),
  engine: z.boolean(),
  pid: z.number().int(),
  cliToken: z.string(),
  startedAt: z.string(),
  /** The class server (`up --team-stack`): its Compose project and where the instructor opens it. */
  team: z.object({ project: z.string(), mlflowUrl: z.string(), s3Url: z.string() }).optional(),
});
export type WorkshopState = z.output<typeof WorkshopStateSchema>;

/** The default state folder: .state/workshop in the repository (ignored by git). */
export function defaultWorkshopState(): string {
  return join(REPO_ROOT, '.state', 'workshop');
}

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes a file readable by its owner only, through a temp file and a rename. */
export function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

export function readJson<T>(path: string, schema: z.ZodType<T>): T | undefined {
  if (!existsSync(path)) return undefined;
  return schema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

const password = () => randomBytes(9).toString('base64url');

/** The accounts for `learners` learners: the ones kept in the state folder, plus new ones. */
export function accountsFor(stateDir: string, learners: number): Accounts {
  const path = join(stateDir, 'learners.json');
  const kept = readJson(path, AccountsSchema);
  const accounts: Accounts = kept ?? { learners: [], instructor: { name: 'instructor', password: password() } };
  for (let k = accounts.learners.length + 1; k <= learners; k++) accounts.learners.push({ name: `learner-${k}`, password: password() });
  writePrivate(path, `${JSON.stringify(accounts, null, 2)}\n`);
  return accounts;
}

/** A TCP port on the given address that nothing listens on (bound once, then closed). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * The hub's virtualenv, made once per version of workshop/hub/requirements.txt under
 * ~/.cache/ds-tutorial (WORKSHOP_HUB_VENV moves it). Returns its folder.
 */
export async function ensureHubVenv(say: (s: string) => void): Promise<string> {
  const hash = sha(HUB_REQUIREMENTS).slice(0, 12);
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const venv = process.env.WORKSHOP_HUB_VENV ?? join(cache, 'ds-tutorial', `workshop-hub-${hash}`);
  const marker = join(venv, '.requirements-installed');
  if (existsSync(marker)) return venv;
  say(`Installing JupyterHub into ${venv} (once)…`);
  const python = process.env.WORKSHOP_PYTHON ?? 'python3';
  const made = await run(python, ['-m', 'venv', venv], 120_000);
  if (made.code !== 0) throw new Error(`Could not make the hub's virtualenv with ${python} -m venv: ${made.stderr.trim()}`);
  const pip = await run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', HUB_REQUIREMENTS], 900_000);
  if (pip.code !== 0) throw new Error(`Installing the hub's packages failed:\n${pip.stderr.trim().slice(-3000)}`);
  writeFileSync(marker, `${hash}\n`);
  return venv;
}

/** configurable-http-proxy from npm, pinned in workshop/package.json, installed into workshop/node_modules. */
export async function ensureProxy(say: (s: string) => void): Promise<string> {
  const lock = join(NPM_DIR, 'package-lock.json');
  const marker = join(NPM_DIR, 'node_modules', '.lock-hash');
  const hash = sha(lock);
  if (existsSync(CHP) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return CHP;
  say('Installing configurable-http-proxy from npm (once)…');
  const r = await run('npm', ['ci', '--prefix', NPM_DIR, '--no-audit', '--no-fund', '--loglevel=error'], 600_000);
  if (r.code !== 0) throw new Error(`npm ci in workshop/ failed:\n${r.stderr.trim().slice(-3000)}`);
  writeFileSync(marker, `${hash}\n`);
  return CHP;
}

export interface HubLaunch {
  venv: string;
  stateDir: string;
  env: Record<string, string>;
}

/**
 * Starts JupyterHub in its own session (setsid: the end of the shell that ran `up` does not end
 * it), its output into hub.log in the state folder. Resolves with its process id.
 */
export function startHub(l: HubLaunch): number {
  const log = openSync(join(l.stateDir, 'hub.log'), 'a', 0o600);
  const child = spawn(join(l.venv, 'bin', 'jupyterhub'), ['-f', HUB_CONFIG], {
    cwd: l.stateDir,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PATH: `${join(l.venv, 'bin')}:${process.env.PATH ?? ''}`, ...l.env },
  });
  child.unref();
  if (!child.pid) throw new Error('JupyterHub did not start.');
  return child.pid;
}

/** Whether `pid` is still the hub `up` started (not a later process that got its number). */
export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('jupyterhub');
  } catch {
    return false;
  }
}

/** The last lines of the hub's log, for a message. */
export function hubLogTail(stateDir: string, lines = 25): string {
  const p = join(stateDir, 'hub.log');
  if (!existsSync(p)) return '';
  return readFileSync(p, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
