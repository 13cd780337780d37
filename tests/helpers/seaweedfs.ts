import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, pollUntil } from './net.ts';

/** The Go module version tests/services/seaweedfs.sh builds (its `version=` default). */
const MODULE_VERSION = /version=\$\{SEAWEEDFS_MODULE_VERSION:-(\S+?)\}/.exec(
  readFileSync(resolve(import.meta.dirname, '../services/seaweedfs.sh'), 'utf8'),
)?.[1];

/** SeaweedFS's `weed`, as tests/services/seaweedfs.sh builds it (or TUTORIAL_WEED). */
export const WEED =
  process.env.TUTORIAL_WEED ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ds-tutorial', 'seaweedfs', `${MODULE_VERSION}`, 'weed');

export const hasWeed = (): boolean => existsSync(WEED);

/** A running `weed mini` started by {@link startSeaweedfs}. */
export interface Seaweedfs {
  /** The S3 API, e.g. `http://127.0.0.1:41234`. */
  s3: string;
  /** The filer's HTTP API (its folder /buckets/<name>/ is a bucket). */
  filer: string;
  accessKey: string;
  secretKey: string;
  pid: number;
  /** The last lines it printed. */
  output(): string;
  /** Stops it and removes its data folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the real SeaweedFS on 127.0.0.1, as the compose file's `seaweedfs` service runs it
 * (`weed mini` with one S3 identity from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, buckets made
 * at start, no WebDAV, no admin UI, no telemetry), with every port of its own so that it never
 * meets another SeaweedFS or service of this machine. Resolves once the S3 API answers and the
 * filer lists every bucket.
 */
export async function startSeaweedfs(o: { buckets: string[]; accessKey?: string; secretKey?: string }): Promise<Seaweedfs> {
  const accessKey = o.accessKey ?? 'tutorial';
  const secretKey = o.secretKey ?? 'tutorial-secret-key';
  const dir = await mkdtemp(join(tmpdir(), 'seaweedfs-'));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await Promise.all(
    Array.from({ length: 8 }, () => freePort()),
  );
  const child = spawn(
    WEED,
    [
      '-logtostderr=true',
      'mini',
      `-dir=${dir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-master.port=${master}`,
      `-master.port.grpc=${masterGrpc}`,
      `-volume.port=${volume}`,
      `-volume.port.grpc=${volumeGrpc}`,
      `-filer.port=${filer}`,
      `-filer.port.grpc=${filerGrpc}`,
      `-s3.port=${s3}`,
      `-s3.port.grpc=${s3Grpc}`,
      '-s3.autoCreateBucket=false',
      `-bucket=${o.buckets.join(',')}`,
      '-webdav=false',
      '-admin.ui=false',
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      '-master.telemetry=false',
    ],
    {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_ACCESS_KEY_ID: accessKey, AWS_SECRET_ACCESS_KEY: secretKey },
    },
  );
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await killGroup(child);
    await rm(dir, { recursive: true, force: true });
  };
  const filerUrl = `http://127.0.0.1:${filer}`;
  const s3Url = `http://127.0.0.1:${s3}`;
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`weed mini exited with code ${child.exitCode}:\n${tail}`);
        const health = await fetch(`${s3Url}/healthz`).catch(() => undefined);
        if (health?.status !== 200) return undefined;
        for (const b of o.buckets) {
          const r = await fetch(`${filerUrl}/buckets/${b}/`, { headers: { accept: 'application/json' } }).catch(() => undefined);
          if (r?.status !== 200) return undefined;
        }
        return true;
      },
      `SeaweedFS's S3 API at ${s3Url} with the buckets ${o.buckets.join(', ')}`,
      120_000,
      250,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  return { s3: s3Url, filer: filerUrl, accessKey, secretKey, pid: child.pid!, output: () => tail, stop };
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
