/**
 * `npx tsx bench/stack-memory.ts [--runs N] [--window S] [--out FILE]`: the memory of the compose
 * stack's services that can run on this machine (MLflow and PostgreSQL), under
 * compose/docker-compose.yml's own limits, started by the compose tier's machinery
 * (tests/compose/stack.ts, so the same stand-ins and override), and MLflow once more as MLflow 3
 * starts by default, with background job execution on (bench/stack-job-execution.yml). Writes the
 * "Stack memory" section of bench/RESULTS.md between its markers; bench/run.ts keeps that section
 * when it rewrites the file.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { composeEnv, imageKind, MemorySampler, MiB, pinnedImages, runSimple, TierStack } from '../tests/compose/stack.ts';
import { venvBin } from '../tests/helpers/env.ts';
import { machine } from './lib/machine.ts';
import { REPO_ROOT } from './lib/proc.ts';
import { type Row, type Section, sectionMarkdown, sectionText } from './lib/report.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    window: { type: 'string', default: '60' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'RESULTS.md') },
  },
  strict: true,
});
const runs = Number(values.runs);
const windowMs = Number(values.window) * 1000;
const JOBS_ON = join(REPO_ROOT, 'bench', 'stack-job-execution.yml');
const SERVICES = ['postgres', 'mlflow'] as const;
const log = (line: string) => console.log(line);

interface Measured {
  healthySeconds: number;
  peaks: Awaited<ReturnType<MemorySampler['stop']>>;
  processes: number;
}

/** One start of MLflow and PostgreSQL: healthy, a small workload, then the observation window. */
async function once(extraFiles: string[]): Promise<Measured> {
  const stack = await TierStack.create({ extraFiles });
  const port = stack.port;
  const sampler = new MemorySampler(stack, SERVICES);
  const work = mkdtempSync(join(tmpdir(), 'stack-memory-'));
  try {
    const t0 = performance.now();
    await stack.compose(['up', '--detach', 'postgres', 'mlflow']);
    sampler.start();
    await stack.healthy('postgres');
    await stack.healthy('mlflow');
    const healthySeconds = (performance.now() - t0) / 1000;
    // What a learner does: three runs of simple.py, then the UI's page and the API calls its run
    // list and metric chart make.
    let runId = '';
    for (let i = 0; i < 3; i++) runId = (await runSimple(venvBin('python'), port, work, `bench-${i}`)).runId;
    const api = (path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      }).then((r) => r.text());
    await api('/');
    const experiments = JSON.parse(await api('/ajax-api/2.0/mlflow/experiments/search?max_results=100')) as {
      experiments: { experiment_id: string }[];
    };
    await api('/ajax-api/2.0/mlflow/runs/search', { experiment_ids: experiments.experiments.map((e) => e.experiment_id) });
    await api(`/ajax-api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=foo`);
    await api(`/ajax-api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    const end = Date.now() + windowMs;
    while (Date.now() < end) {
      for (const service of SERVICES) {
        const s = await stack.state(service);
        if (s.status !== 'running' || s.restartCount > 0)
          throw new Error(`${service} stopped: ${s.status}, restarted ${s.restartCount} times.`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const { stdout } = await run('docker', ['top', (await stack.state('mlflow')).id, '-eo', 'pid']);
    const peaks = await sampler.stop();
    if (sampler.errors.length) throw new Error(sampler.errors.join('; '));
    return { healthySeconds, peaks, processes: stdout.trim().split('\n').length - 1 };
  } finally {
    await sampler.stop().catch(() => undefined);
    await stack.down();
    rmSync(work, { recursive: true, force: true });
  }
}

async function series(what: string, extraFiles: string[]): Promise<Measured[]> {
  const out: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    out.push(await once(extraFiles));
    log(`  ${what}: run ${i + 1}/${runs} done`);
  }
  return out;
}

const env = composeEnv();
const images = pinnedImages();
const kinds = await Promise.all(
  [images.python, images.postgres].map(
    async (name) => `${name} (${(await imageKind(name)).standIn ? 'a local stand-in' : 'the real image'})`,
  ),
);
log(`Building dstack/mlflow (compose/mlflow/Dockerfile) on ${kinds[0]}; PostgreSQL is ${kinds[1]}.`);
const builder = await TierStack.create();
try {
  await builder.compose(['build', 'mlflow'], 1_800_000);
} finally {
  await builder.down();
}
const mlflowImage = `dstack/mlflow:${env.MLFLOW_VERSION}-psycopg2-${env.PSYCOPG2_VERSION}-python-${env.PYTHON_IMAGE_TAG}`;
const versionIn = async (image: string, cmd: string[]) =>
  (await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', cmd[0]!, image, ...cmd.slice(1)])).stdout.trim();
const pythonVersion = await versionIn(mlflowImage, ['python', '--version']);
const postgresVersion = await versionIn(images.postgres, ['postgres', '--version']);
const started = performance.now();
log('MLflow and PostgreSQL as compose/docker-compose.yml has them:');
const asFiled = await series('job execution off', []);
log('MLflow with background job execution on (bench/stack-job-execution.yml):');
const jobsOn = await series('job execution on', [JOBS_ON]);
const total = (performance.now() - started) / 1000;

const peak = (m: Measured, service: string) => m.peaks.find((p) => p.service === service)!;
const limit = (ms: Measured[], service: string) => peak(ms[0]!, service).limit;
const rows = (label: string, ms: Measured[], service: string, withLimit: boolean): Row[] => [
  {
    label: `${label}: peak anonymous memory`,
    unit: 'MiB',
    values: ms.map((m) => peak(m, service).peakAnon / MiB),
    digits: 0,
    target: withLimit ? { op: '<', value: limit(ms, service) / MiB, text: `< its mem_limit, ${limit(ms, service) / MiB} MiB` } : undefined,
  },
  {
    label: `${label}: peak working set (docker stats)`,
    unit: 'MiB',
    values: ms.map((m) => peak(m, service).peakWorkingSet / MiB),
    digits: 0,
  },
  {
    label: `${label}: kernel's peak charge (page cache included)`,
    unit: 'MiB',
    values: ms.map((m) => (peak(m, service).kernelPeak ?? Number.NaN) / MiB),
    digits: 0,
  },
];
const section: Section = {
  id: 'stack-memory',
  title: 'Stack memory',
  method:
    `MLflow and PostgreSQL started ${runs} times each way with the compose tier's machinery (tests/compose/stack.ts): the real compose/docker-compose.yml with tests/compose/override.yml, which replaces only the MLflow build's network, on the project's own bridge network with Docker's port publishing, under the file's own mem_limit. ` +
    `Each start: both healthy, three runs of workspace/mlflow/simple.py through the published port, the UI's page and the API calls of its run list and metric chart, then ${windowMs / 1000} s of watching. ` +
    `Memory from each container's cgroup (${asFiled[0]?.peaks[0]?.how ?? 'cgroup'}), sampled every second from \`up\` on: anonymous memory (total_rss + total_shmem, or anon + shmem on cgroup v2), which the kernel cannot reclaim without swap and so has to fit under the limit; the working set (usage minus inactive page cache, as docker stats counts it); and the kernel's own high-water mark of all memory charged to the container (memory.max_usage_in_bytes, or memory.peak on cgroup v2), page cache included, which the kernel reclaims at the limit before it kills anything. ` +
    `Images: ${kinds[0]} and ${kinds[1]}, as no registry is reachable here: MLflow ${env.MLFLOW_VERSION} ran on ${pythonVersion} and the database was ${postgresVersion}.`,
  rows: [
    ...rows(`MLflow, job execution off (as filed), limit ${limit(asFiled, 'mlflow') / MiB} MiB`, asFiled, 'mlflow', true),
    { label: 'MLflow, job execution off: processes in the container', unit: '', values: asFiled.map((m) => m.processes), digits: 0 },
    ...rows(`PostgreSQL, limit ${limit(asFiled, 'postgres') / MiB} MiB`, asFiled, 'postgres', true),
    ...rows("MLflow, job execution on (MLflow 3's default; limit raised to 4 GiB to measure)", jobsOn, 'mlflow', false),
    { label: 'MLflow, job execution on: processes in the container', unit: '', values: jobsOn.map((m) => m.processes), digits: 0 },
    {
      label: '`up` → both healthy, job execution off (the healthchecks poll every 5 and 10 s)',
      unit: 's',
      values: asFiled.map((m) => m.healthySeconds),
      digits: 0,
    },
  ],
  notes: [
    'Job execution on needs about three times the memory: with it MLflow 3 starts a job runner and Huey consumer processes beside the web server; compose/docker-compose.yml turns it off (MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false), which the tutorial never needs.',
    'Elasticsearch, fluentd, Kibana and adminer are not started by this benchmark; the compose tier (tests/compose/stack.test.ts) runs all six and reports each one\'s peak: see "The whole stack under the compose tier" below. The limits add up to 5.0 GiB; a limit is a ceiling, not a reservation.',
  ],
};

log(`\n${sectionText(section)}`);
const m = machine();
const block = [
  '<!-- stack-memory:start -->',
  sectionMarkdown(section),
  '',
  `Written by \`npx tsx bench/stack-memory.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}\` on ${m.date} (${total.toFixed(0)} s); machine: ${m.nproc} CPUs, ${m.memory}, Linux ${m.kernel}; Docker ${(await run('docker', ['version', '-f', '{{.Server.Version}}'])).stdout.trim()}.`,
  '<!-- stack-memory:end -->',
].join('\n');
const old = existsSync(values.out!) ? readFileSync(values.out!, 'utf8') : '# Benchmark results\n';
const marked = /<!-- stack-memory:start -->[\s\S]*?<!-- stack-memory:end -->/;
writeFileSync(values.out!, marked.test(old) ? old.replace(marked, block) : `${old.trimEnd()}\n\n${block}\n`);
log(`\nWrote the Stack memory section of ${values.out}.`);
