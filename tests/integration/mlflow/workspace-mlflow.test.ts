import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasVenv, testEnv, venvBin } from '../../helpers/env.ts';
import { type MlflowServer, startMlflowServer } from '../../helpers/mlflow-server.ts';

/**
 * workspace/mlflow/simple.py against a real MLflow server on PostgreSQL with proxied
 * artifacts, read back over the same REST API the tutorial's MLflow checks use.
 */

const execFileAsync = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../../workspace');
const EXPERIMENT = 'my-simple-experiment';

interface RunInfo {
  run_id: string;
  experiment_id: string;
  artifact_uri: string;
  status: string;
}
interface Run {
  info: RunInfo;
  data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}

let server: MlflowServer;
let workDir: string;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path} answered ${res.status}: ${body}`);
  return JSON.parse(body) as T;
}

/** Runs simple.py from the workspace copy, as the learner would: `python mlflow/simple.py`. */
async function runSimple(marker: string): Promise<string> {
  const { stdout } = await execFileAsync(venvBin('python'), ['mlflow/simple.py'], {
    cwd: workDir,
    env: { ...process.env, MLFLOW_TRACKING_URI: server.url, TUTORIAL_MARKER: marker },
    timeout: 90_000,
  });
  return stdout;
}

async function findRunByMarker(experimentId: string, marker: string): Promise<Run[]> {
  const found = await api<{ runs?: Run[] }>('/api/2.0/mlflow/runs/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ experiment_ids: [experimentId], filter: `tags.\`tutorial.marker\` = '${marker}'` }),
  });
  return found.runs ?? [];
}

beforeAll(async () => {
  if (!hasVenv())
    throw new Error(`The test virtualenv is missing at ${testEnv.venv} (set TUTORIAL_VENV or create it with mlflow and psycopg2-binary).`);
  server = await startMlflowServer();
  // A copy, as the tutorial's server makes one: simple.py writes outputs/ into the folder it runs from.
  workDir = await mkdtemp(join(tmpdir(), 'workspace-mlflow-'));
  await cp(WORKSPACE, workDir, { recursive: true });
});

afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('workspace/mlflow/simple.py on a tracking server with PostgreSQL and proxied artifacts', () => {
  const marker = `m-${randomBytes(6).toString('hex')}`;
  let run: Run;
  let stdout: string;

  beforeAll(async () => {
    stdout = await runSimple(marker);
  });

  it('prints the marker, the run id and a proxied artifact URI', () => {
    expect(stdout).toContain(`marker: ${marker}`);
    expect(stdout).toMatch(/Run id: [0-9a-f]{32}/);
    expect(stdout).toMatch(/Artifact URI: mlflow-artifacts:\//);
  });

  it('creates the experiment and one finished run tagged with the marker', async () => {
    const { experiment } = await api<{ experiment: { experiment_id: string; name: string } }>(
      `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(EXPERIMENT)}`,
    );
    expect(experiment.name).toBe(EXPERIMENT);
    const runs = await findRunByMarker(experiment.experiment_id, marker);
    expect(runs).toHaveLength(1);
    run = runs[0]!;
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags).toContainEqual({ key: 'tutorial.marker', value: marker });
    expect(run.data.params).toContainEqual({ key: 'param1', value: '5' });
  });

  it('keeps the run in artifact storage the server proxies (mlflow-artifacts:, not file://)', () => {
    expect(run.info.artifact_uri.startsWith('mlflow-artifacts:')).toBe(true);
  });

  it('records three values of the metric foo, one per step', async () => {
    const { metrics } = await api<{ metrics: { key: string; value: number; step: number }[] }>(
      `/api/2.0/mlflow/metrics/get-history?run_id=${run.info.run_id}&metric_key=foo`,
    );
    expect(metrics.map((m) => m.step).sort()).toEqual([0, 1, 2]);
    for (const m of metrics) {
      // simple.py logs step + random(): each value lies in [step, step + 1).
      expect(m.key).toBe('foo');
      expect(m.value).toBeGreaterThanOrEqual(m.step);
      expect(m.value).toBeLessThan(m.step + 1);
    }
  });

  it('lists test.txt among the run artifacts and serves its bytes through mlflow-artifacts', async () => {
    const listing = await api<{ root_uri: string; files?: { path: string; is_dir: boolean; file_size?: number }[] }>(
      `/api/2.0/mlflow/artifacts/list?run_id=${run.info.run_id}`,
    );
    expect(listing.files?.map((f) => f.path)).toContain('test.txt');

    // mlflow-artifacts:/<experiment>/<run>/artifacts maps onto the server's artifact route.
    const relative = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
    const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${relative}/test.txt`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`hello world!\nmarker: ${marker}\n`);
  });

  it('stores the uploaded file under the server artifacts destination, not in the client folder', async () => {
    const relative = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
    const files = await readdir(join(server.artifactsDir, relative));
    expect(files).toContain('test.txt');
  });
});

describe('a second run of simple.py', () => {
  it('reuses the experiment and is found by its own marker only', async () => {
    const first = `m-${randomBytes(6).toString('hex')}`;
    const second = `m-${randomBytes(6).toString('hex')}`;
    await runSimple(first);
    await runSimple(second);
    const { experiment } = await api<{ experiment: { experiment_id: string } }>(
      `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(EXPERIMENT)}`,
    );
    const a = await findRunByMarker(experiment.experiment_id, first);
    const b = await findRunByMarker(experiment.experiment_id, second);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]!.info.run_id).not.toBe(b[0]!.info.run_id);
  });
});

describe('simple.py without a server', () => {
  it('fails with a message naming the tracking URI and the next command', async () => {
    // A port nothing listens on: the helper's free-port trick, inline.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    const uri = `http://127.0.0.1:${port}`;
    const result = await execFileAsync(venvBin('python'), ['mlflow/simple.py'], {
      cwd: workDir,
      // The script's own retry defaults (two retries), as the learner runs it.
      env: { ...process.env, MLFLOW_TRACKING_URI: uri },
      timeout: 90_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? '' }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`MLflow could not complete the run on ${uri}`);
    expect(result.stderr).toContain(`curl ${uri}/health`);
  });
});
