import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testEnv, venvBin } from './env.ts';
import { freePort } from './net.ts';

const execFileAsync = promisify(execFile);

/** A running `mlflow server` started by {@link startMlflowServer}. */
export interface MlflowServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The fresh PostgreSQL database that holds this server's runs (dropped by `stop()`). */
  dbName: string;
  /** Where the server writes proxied artifacts (removed by `stop()`). */
  artifactsDir: string;
  /** Stops the server and its workers, drops the database and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface MlflowServerOptions {
  /** How long to wait for `/health` to answer 200 (default 120 s: the first start creates every table). */
  readyTimeoutMs?: number;
  /** The port to listen on (default: a free one). The self-test uses the stack's own (MLFLOW_PORT in compose/.env). */
  port?: number;
  /** Where the server keeps artifacts (default: a temp folder), e.g. `s3://bucket` with `env` giving its endpoint and credentials. */
  artifactsDestination?: string;
  /** More variables for the server (MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a real MLflow tracking server from the test virtualenv, configured the way the
 * tutorial's compose stack configures it: a PostgreSQL backend store (a fresh database per
 * server, created with the test role) and proxied artifacts (`--serve-artifacts` with a temp
 * folder as `--artifacts-destination`), so runs get `mlflow-artifacts:` URIs and clients upload
 * files over HTTP. It listens on 127.0.0.1 on a free port and resolves once `/health` answers.
 *
 * Needs the virtualenv (mlflow, psycopg2-binary) and PostgreSQL on testEnv.postgres.
 */
export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<MlflowServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const dbName = `mlflow_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const tempDir = await mkdtemp(join(tmpdir(), 'mlflow-server-'));
  const artifactsDir = join(tempDir, 'artifacts');
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;

  await postgresAdmin(`CREATE DATABASE "${dbName}"`);

  const { user, password, host, port: pgPort } = testEnv.postgres;
  // +psycopg2: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which the venv does not have.
  const backendUri = `postgresql+psycopg2://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${pgPort}/${dbName}`;
  const child = spawn(
    venvBin('mlflow'),
    [
      'server',
      '--host=127.0.0.1',
      `--port=${port}`,
      // One worker: tests are one client, and the machine has two cores.
      '--workers=1',
      `--backend-store-uri=${backendUri}`,
      '--serve-artifacts',
      `--artifacts-destination=${options.artifactsDestination ?? artifactsDir}`,
      // The same host check as the compose stack, so a test sees a 403 where a learner would.
      `--allowed-hosts=127.0.0.1:${port},localhost:${port}`,
    ],
    {
      cwd: tempDir,
      // Its own process group, so stop() reaches the worker processes as well.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, PYTHONUNBUFFERED: '1' },
    },
  );
  const output = captureTail(child);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killGroup(child);
    // FORCE ends sessions the server may have left behind (PostgreSQL 13+).
    await postgresAdmin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await rm(tempDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(url, child, output, readyTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dbName, artifactsDir, stop };
}

/** Asks the OS for a free TCP port on 127.0.0.1. */

/**
 * Runs one statement against the `postgres` database as the test role. Through the venv's
 * psycopg2 rather than psql, so nothing beyond the MLflow tier's own requirements is needed.
 */
async function postgresAdmin(sql: string): Promise<void> {
  const { host, port, user, password } = testEnv.postgres;
  const script = [
    'import sys, psycopg2',
    'c = psycopg2.connect(host=sys.argv[1], port=int(sys.argv[2]), user=sys.argv[3], password=sys.argv[4], dbname="postgres")',
    // CREATE/DROP DATABASE cannot run inside a transaction.
    'c.autocommit = True',
    'c.cursor().execute(sys.argv[5])',
    'c.close()',
  ].join('\n');
  try {
    await execFileAsync(venvBin('python'), ['-c', script, host, String(port), user, password, sql], { timeout: 30_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`PostgreSQL statement failed (${sql}) on ${host}:${port} as ${user}: ${stderr.trim() || (err as Error).message}`);
  }
}

/** Keeps the last 8 KB of the child's stdout and stderr, for error messages. */
function captureTail(child: ChildProcess): { text(): string } {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { text: () => tail };
}

async function waitForHealth(url: string, child: ChildProcess, output: { text(): string }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mlflow server exited (code ${child.exitCode ?? child.signalCode}) before answering /health:\n${output.text()}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`mlflow server at ${url} did not answer /health within ${timeoutMs} ms:\n${output.text()}`);
}

/** SIGTERM to the whole process group, SIGKILL if it is still there after 10 s. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  // Workers may outlive the parent by a moment; make sure none keeps the port or the database.
  signalGroup('SIGKILL');
}
