import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowProbe } from '../../../protocol/probes/mlflow.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { serviceProbes } from '../../../server/stack/status.ts';
import { hasVenv, venvBin } from '../../helpers/env.ts';
import { type MlflowServer, startMlflowServer } from '../../helpers/mlflow-server.ts';

const execFileAsync = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../../workspace/mlflow/simple.py');
const marker = `ds-mlflow-run-${randomBytes(4).toString('hex')}`;

let server: MlflowServer;
let cwd: string;

function check(spec: Record<string, unknown>, m: string | undefined = marker) {
  const probe = mlflowProbe.parse({ kind: 'mlflow', ...spec });
  return runCheck(probe, { workspace: cwd, endpoints: { ...DEFAULT_ENDPOINTS, mlflow: server.url }, marker: m });
}

/** The whole run check of the chapter's step, as a chapter would write it. */
const full = {
  experiment: 'my-simple-experiment',
  marker: '{{marker}}',
  param: { key: 'param1', value: '5' },
  metric: { key: 'foo', atLeastPoints: 3 },
  artifact: 'test.txt',
  proxiedArtifacts: true,
};

async function rest(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  if (!hasVenv()) throw new Error('The test virtualenv is missing (tests/helpers/env.ts); .ci/run creates it.');
  server = await startMlflowServer();
  cwd = await mkdtemp(join(tmpdir(), 'mlflow-probe-'));
});

afterAll(async () => {
  await server?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('mlflow probe against a real mlflow server on PostgreSQL', () => {
  it('passes the health check', async () => {
    const r = await check({ health: true });
    expect(r.ok).toBe(true);
    expect(r.message).toBe('The MLflow server is up.');
  });

  it('reports the 403 of the host check when the address is not in --allowed-hosts', async () => {
    // The IPv4-mapped IPv6 form reaches the same 127.0.0.1 listener under a Host the server does
    // not allow. MLflow exempts /health from the check, so the probe must find this on the API.
    const url = server.url.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    const probe = mlflowProbe.parse({ kind: 'mlflow', health: true });
    const r = await runCheck(probe, { workspace: cwd, endpoints: { ...DEFAULT_ENDPOINTS, mlflow: url } });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(
      /^The MLflow server at http:\/\/\[::ffff:7f00:1\]:\d+ refused the request with 403 "Invalid Host header": its host check does not allow the address \[::ffff:7f00:1\]:\d+\.$/,
    );
    expect(r.diagnosis?.id).toBe('mlflow-host-header');
  });

  it('fails before the client has run: no experiment yet', async () => {
    const r = await check({ health: true, ...full });
    expect(r.ok).toBe(false);
    expect(r.message).toBe('The MLflow server has no experiment named my-simple-experiment.');
    expect(r.evidence.map((e) => e.text).join('\n')).toContain('RESOURCE_DOES_NOT_EXIST');
  });

  it('passes after the real client script ran with this attempt’s marker', async () => {
    const { stdout } = await execFileAsync(venvBin('python'), [SCRIPT], {
      cwd,
      env: { ...process.env, MLFLOW_TRACKING_URI: server.url, TUTORIAL_MARKER: marker },
      timeout: 120_000,
    });
    expect(stdout).toContain('Run id:');
    const r = await check({ health: true, ...full });
    expect(r.ok, r.message).toBe(true);
    expect(r.message).toMatch(
      /^The MLflow server is up\. The experiment my-simple-experiment exists\. The run \S+ \([0-9a-f]{32}\) is there with this attempt’s marker\. It has the parameter param1 = 5\. Its metric foo has 3 points\. It has the artifact test\.txt \(\d+ bytes\)\. Its artifacts are stored through the server \(mlflow-artifacts:\)\.$/,
    );
  });

  it('does not count a run from another attempt', async () => {
    const r = await check(full, 'ds-mlflow-run-00000000');
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      'The experiment my-simple-experiment has no run from this attempt (tag tutorial.marker = ds-mlflow-run-00000000).',
    );
  });

  it('fails on a missing param, a short metric history, a wrong value and a missing artifact', async () => {
    expect((await check({ ...full, param: { key: 'alpha' } })).message).toBe('The run has no parameter alpha.');
    expect((await check({ ...full, param: { key: 'param1', value: '6' } })).message).toBe(
      "The run's parameter param1 is 5, and this step expects 6.",
    );
    expect((await check({ ...full, metric: { key: 'foo', atLeastPoints: 4 } })).message).toBe(
      "The run's metric foo has 3 points in its history, and this step expects at least 4.",
    );
    expect((await check({ ...full, metric: { key: 'bar' } })).message).toBe('The run has no metric bar.');
    expect((await check({ ...full, artifact: 'model/weights.bin' })).message).toBe('The run has no artifact model/weights.bin.');
  });

  it('explains a file:// artifact location (the guide’s old setup) and names the diagnosis', async () => {
    const created = await rest('POST', '/api/2.0/mlflow/experiments/create', {
      name: 'old-setup',
      artifact_location: `file://${join(cwd, 'artifactStore')}`,
    });
    const experimentId = created.experiment_id as string;
    await rest('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId, start_time: Date.now() });
    const r = await check({ experiment: 'old-setup', proxiedArtifacts: true }, undefined);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^The run stores its artifacts at file:\/\/\S+, not through the server \(mlflow-artifacts:\)\.$/);
    expect(r.hint).toContain('--serve-artifacts');
    expect(r.diagnosis?.id).toBe('mlflow-artifacts-local');
  });
});

// Here rather than in a file of its own: one MLflow server start serves both.
describe('the stack panel (server/stack/status.ts) against the same real mlflow server', () => {
  const light = (url: string) => serviceProbes({ ...DEFAULT_ENDPOINTS, mlflow: url }).mlflow.ask(AbortSignal.timeout(10_000));

  it('knows it as MLflow, with its version', async () => {
    const r = await light(server.url);
    expect(r.state).toBe('up');
    expect(r.detail).toMatch(/^MLflow \d+\.\d+\.\d+/);
  });

  it('says so when the server refuses the address it is asked at', async () => {
    expect(await light(server.url.replace('127.0.0.1', '[::ffff:127.0.0.1]'))).toEqual({
      state: 'down',
      detail: 'refuses this address (Invalid Host header); see --allowed-hosts',
    });
  });
});
