import { type MlflowProbe, mlflowProbe } from '../../../protocol/probes/mlflow.ts';
import type { CheckResult, Evidence } from '../../../protocol/result.ts';
import type { HttpAnswer } from '../../stack/http.ts';
import { ev } from '../evidence.ts';
import { answerEvidence, ask, isAnswer, joinUrl, origin, type ServiceInfo, unexpectedAnswer } from '../http-client.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

const MLFLOW: ServiceInfo = { name: 'the MLflow server', start: 'docker compose up -d mlflow' };
const HOST_CHECK = 'Invalid Host header';

/** The parts of an MLflow run (REST API `Run`) this probe reads. */
interface Run {
  info: { run_id: string; run_name?: string; artifact_uri?: string; status?: string };
  data?: {
    params?: { key: string; value: string }[];
    metrics?: { key: string; value: number; step?: number }[];
    tags?: { key: string; value: string }[];
  };
}

/** MLflow: server health, an experiment by name, and in its newest (marked) run a param, a metric, an artifact, proxied artifacts. */
export const mlflowModule: ProbeModule<typeof mlflowProbe> = {
  kind: 'mlflow',
  schema: mlflowProbe,
  defaultTimeout: 10,
  async run(spec, ctx) {
    const api = new Api(spec.url ?? ctx.endpoints.mlflow, ctx);
    const found: string[] = [];
    const evidence: Evidence[] = [];
    const fail = (r: CheckResult): CheckResult => ({ ...r, evidence: [...evidence, ...r.evidence] });

    if (spec.health) {
      const a = await api.get('/health');
      if (!isAnswer(a)) return a;
      if (a.status === 403 && a.text.includes(HOST_CHECK)) return fail(hostRefused(api.base, a));
      if (a.status !== 200 || a.text.trim() !== 'OK') return fail(unexpectedAnswer(a, MLFLOW, 'OK'));
      // /health is exempt from MLflow's host check, so a server that a client cannot use still
      // says OK there; one cheap API call shows whether the REST API accepts this address.
      const probe = await api.get('/api/2.0/mlflow/experiments/search?max_results=1');
      if (!isAnswer(probe)) return probe;
      if (probe.status === 403 && probe.text.includes(HOST_CHECK)) return fail(hostRefused(api.base, probe));
      if (probe.status !== 200) return fail(unexpectedAnswer(probe, MLFLOW, 'a list of experiments'));
      found.push('The MLflow server is up.');
    }
    if (!spec.experiment) return { ok: true, message: found.join(' '), evidence };

    const e = await api.get(`/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(spec.experiment)}`);
    if (!isAnswer(e)) return e;
    if (e.status === 403 && e.text.includes(HOST_CHECK)) return fail(hostRefused(api.base, e));
    const experiment = (e.json as { experiment?: { experiment_id?: string; artifact_location?: string } } | undefined)?.experiment;
    if (e.status === 404 || (e.status === 200 && !experiment?.experiment_id)) {
      return fail({
        ok: false,
        message: `The MLflow server has no experiment named ${spec.experiment}.`,
        hint: 'The script creates it on its first run: run it (for example `python mlflow/simple.py`) with MLFLOW_TRACKING_URI pointing at the server, then check again.',
        evidence: answerEvidence(e, 600),
      });
    }
    if (e.status !== 200 || !experiment?.experiment_id) return fail(unexpectedAnswer(e, MLFLOW, 'an experiment'));
    const experimentId = experiment.experiment_id;
    evidence.push(
      ev('MLflow experiment', `${spec.experiment} (id ${experimentId}, artifact location ${experiment.artifact_location ?? '?'})`),
    );
    found.push(`The experiment ${spec.experiment} exists.`);
    if (!(spec.marker || spec.param || spec.metric || spec.artifact || spec.proxiedArtifacts)) {
      return { ok: true, message: found.join(' '), evidence };
    }

    const picked = await newestRun(api, experimentId, spec);
    if (!isRun(picked)) return fail(picked);
    const run = picked;
    const runName = run.info.run_name ? `${run.info.run_name} (${run.info.run_id})` : run.info.run_id;
    evidence.push(ev('MLflow run', `${runName}, status ${run.info.status ?? '?'}, artifact_uri ${run.info.artifact_uri ?? '?'}`));
    found.push(`The run ${runName} is there${spec.marker ? ' with this attempt’s marker' : ''}.`);

    for (const step of [checkParam, checkMetric, checkArtifact, checkProxied]) {
      const r = await step(api, run, spec);
      if (!r) continue;
      if (!r.ok) return fail(r);
      found.push(r.message);
      evidence.push(...r.evidence);
    }
    return { ok: true, message: found.join(' '), evidence };
  },
};

/** The REST calls, with the probe's deadline and the server's base URL. */
class Api {
  constructor(
    readonly base: string,
    private readonly ctx: ProbeContext,
  ) {}
  get(path: string): Promise<HttpAnswer | CheckResult> {
    return ask(joinUrl(this.base, path), MLFLOW, this.ctx);
  }
  post(path: string, body: unknown): Promise<HttpAnswer | CheckResult> {
    return ask(joinUrl(this.base, path), MLFLOW, this.ctx, { method: 'POST', body });
  }
}

function isRun(x: Run | CheckResult): x is Run {
  return 'info' in x;
}

function hostRefused(base: string, a: HttpAnswer): CheckResult {
  return {
    ok: false,
    message: `The MLflow server at ${origin(base)} refused the request with 403 "Invalid Host header": its host check does not allow the address ${new URL(base).host}.`,
    hint: `Use an address the server allows (the stack's --allowed-hosts has localhost and 127.0.0.1 with MLFLOW_PORT of compose/.env, as in $MLFLOW_TRACKING_URI), or add yours there in compose/docker-compose.yml; then \`docker compose up -d mlflow\`.`,
    evidence: answerEvidence(a, 600),
  };
}

/** The newest run of the experiment, among the runs tagged with the marker when there is one. */
async function newestRun(api: Api, experimentId: string, spec: MlflowProbe): Promise<Run | CheckResult> {
  const body: Record<string, unknown> = {
    experiment_ids: [experimentId],
    max_results: 1,
    order_by: ['attributes.start_time DESC'],
  };
  // The marker is lowercase letters, digits and dashes (server/tutorial/marker.ts); quotes are escaped anyway.
  if (spec.marker) body.filter = `tags.\`tutorial.marker\` = '${spec.marker.replaceAll("'", "\\'")}'`;
  const a = await api.post('/api/2.0/mlflow/runs/search', body);
  if (!isAnswer(a)) return a;
  const runs = (a.json as { runs?: Run[] } | undefined)?.runs;
  if (a.status !== 200 || (a.json === undefined && a.text.trim() !== '')) return unexpectedAnswer(a, MLFLOW, 'a list of runs');
  const run = runs?.[0];
  if (!run?.info?.run_id) {
    return {
      ok: false,
      message: spec.marker
        ? `The experiment ${spec.experiment} has no run from this attempt (tag tutorial.marker = ${spec.marker}).`
        : `The experiment ${spec.experiment} has no runs yet.`,
      hint: spec.marker
        ? "Press Run on the step so the script runs with this attempt's marker (TUTORIAL_MARKER), then check again; a run from an earlier attempt does not count."
        : 'Run the script (for example `python mlflow/simple.py`), then check again.',
      evidence: answerEvidence(a, 600),
    };
  }
  return run;
}

async function checkParam(_api: Api, run: Run, spec: MlflowProbe): Promise<CheckResult | undefined> {
  if (!spec.param) return undefined;
  const { key, value } = spec.param;
  const params = run.data?.params ?? [];
  const got = params.find((p) => p.key === key);
  const evidence = [ev('MLflow params', params.map((p) => `${p.key} = ${p.value}`).join('\n') || '(none)')];
  if (!got) {
    return {
      ok: false,
      message: `The run has no parameter ${key}.`,
      hint: `Log it in the script with \`mlflow.log_param("${key}", ...)\` inside the \`with mlflow.start_run():\` block, then run it again.`,
      evidence,
    };
  }
  if (value !== undefined && got.value !== value) {
    return {
      ok: false,
      message: `The run's parameter ${key} is ${got.value}, and this step expects ${value}.`,
      hint: 'Check the value the script logs, then run it again.',
      evidence,
    };
  }
  return { ok: true, message: `It has the parameter ${key} = ${got.value}.`, evidence };
}

async function checkMetric(api: Api, run: Run, spec: MlflowProbe): Promise<CheckResult | undefined> {
  if (!spec.metric) return undefined;
  const { key, value, atLeastPoints } = spec.metric;
  const metrics = run.data?.metrics ?? [];
  // The run lists only each metric's latest value; the history has every logged point.
  const latest = metrics.find((m) => m.key === key);
  const evidence = [ev('MLflow metrics (latest values)', metrics.map((m) => `${m.key} = ${m.value}`).join('\n') || '(none)')];
  if (!latest) {
    return {
      ok: false,
      message: `The run has no metric ${key}.`,
      hint: `Log it in the script with \`mlflow.log_metric("${key}", value)\`, then run it again.`,
      evidence,
    };
  }
  if (value !== undefined && Math.abs(latest.value - value) > 1e-9 * Math.max(1, Math.abs(value))) {
    return {
      ok: false,
      message: `The run's metric ${key} ends at ${latest.value}, and this step expects ${value}.`,
      hint: 'Check what the script logs last, then run it again.',
      evidence,
    };
  }
  if (atLeastPoints !== undefined && atLeastPoints > 1) {
    const a = await api.get(
      `/api/2.0/mlflow/metrics/get-history?run_id=${encodeURIComponent(run.info.run_id)}&metric_key=${encodeURIComponent(key)}`,
    );
    if (!isAnswer(a)) return a;
    const points = (a.json as { metrics?: unknown[] } | undefined)?.metrics;
    if (a.status !== 200 || !Array.isArray(points)) return unexpectedAnswer(a, MLFLOW, 'a metric history');
    evidence.push(ev(`MLflow history of ${key}`, `${points.length} points`));
    if (points.length < atLeastPoints) {
      return {
        ok: false,
        message: `The run's metric ${key} has ${points.length} ${points.length === 1 ? 'point' : 'points'} in its history, and this step expects at least ${atLeastPoints}.`,
        hint: `Log it once per step, e.g. \`for step in range(${atLeastPoints}): mlflow.log_metric("${key}", value, step=step)\`, then run the script again.`,
        evidence,
      };
    }
    return { ok: true, message: `Its metric ${key} has ${points.length} points.`, evidence };
  }
  return { ok: true, message: `Its metric ${key} is ${latest.value}.`, evidence };
}

async function checkArtifact(api: Api, run: Run, spec: MlflowProbe): Promise<CheckResult | undefined> {
  if (!spec.artifact) return undefined;
  const path = spec.artifact.replace(/^\/+|\/+$/g, '');
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const list = async (p: string) =>
    api.get(`/api/2.0/mlflow/artifacts/list?run_id=${encodeURIComponent(run.info.run_id)}${p ? `&path=${encodeURIComponent(p)}` : ''}`);
  const a = await list(parent);
  if (!isAnswer(a)) return a;
  if (a.status !== 200) return unexpectedAnswer(a, MLFLOW, 'a list of artifacts');
  const files = ((a.json as { files?: { path: string; is_dir?: boolean; file_size?: number }[] } | undefined)?.files ?? []).filter(
    (f) => typeof f?.path === 'string',
  );
  const evidence = [
    ev('MLflow artifacts', `${parent || '(root)'}: ${files.map((f) => f.path + (f.is_dir ? '/' : '')).join(', ') || '(empty)'}`),
  ];
  const entry = files.find((f) => f.path === path);
  const local = run.info.artifact_uri?.startsWith('file:');
  if (!entry) {
    return {
      ok: false,
      message: `The run has no artifact ${path}.`,
      hint: local
        ? "This run's artifacts go to a local folder (artifact_uri file://...), which the server cannot list: start the server with proxied artifacts (`--serve-artifacts`), create a new experiment, and run the script again."
        : 'Log it with `mlflow.log_artifact(...)` or `mlflow.log_artifacts(...)` in the script and run it again; read the script output for an upload error.',
      evidence: [...evidence, ev('MLflow run artifact_uri', run.info.artifact_uri ?? '?')],
    };
  }
  if (entry.is_dir) {
    const inner = await list(path);
    if (!isAnswer(inner)) return inner;
    const innerFiles = (inner.json as { files?: unknown[] } | undefined)?.files ?? [];
    if (innerFiles.length === 0) {
      return {
        ok: false,
        message: `The run's artifact folder ${path} is empty.`,
        hint: 'Log files into it, then run the script again.',
        evidence,
      };
    }
    return { ok: true, message: `It has the artifact folder ${path} (${innerFiles.length} entries).`, evidence };
  }
  return {
    ok: true,
    message: `It has the artifact ${path}${entry.file_size !== undefined ? ` (${entry.file_size} bytes)` : ''}.`,
    evidence,
  };
}

async function checkProxied(_api: Api, run: Run, spec: MlflowProbe): Promise<CheckResult | undefined> {
  if (!spec.proxiedArtifacts) return undefined;
  const uri = run.info.artifact_uri ?? '';
  // The label names artifact_uri so the diagnosis signature for local artifacts can match it.
  const evidence = [ev('MLflow run artifact_uri', `artifact_uri ${uri}`)];
  if (!uri.startsWith('mlflow-artifacts:')) {
    return {
      ok: false,
      message: `The run stores its artifacts at ${uri || 'an unknown place'}, not through the server (mlflow-artifacts:).`,
      hint: uri.startsWith('file:')
        ? 'That is the old setup of the guide (`--default-artifact-root file://...`): the client writes to a local folder and needs a shared volume. Start the server with `--serve-artifacts --artifacts-destination ...` instead, and use a new experiment (an existing one keeps its artifact location).'
        : 'Start the server with `--serve-artifacts --artifacts-destination ...`, and use a new experiment (an existing one keeps its artifact location).',
      evidence,
    };
  }
  return { ok: true, message: 'Its artifacts are stored through the server (mlflow-artifacts:).', evidence };
}
