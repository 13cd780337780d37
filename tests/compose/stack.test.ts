import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, venvBin } from '../helpers/env.ts';
import { pollUntil } from '../helpers/net.ts';
import {
  BUSYBOX_IMAGE,
  composeEnv,
  describeState,
  differences,
  imageKind,
  MemorySampler,
  mib,
  OVERRIDE_FILE,
  REAL_FILE,
  ROOT,
  replacements,
  runSimple,
  stackImages,
  TierStack,
} from './stack.ts';

/**
 * The compose tier: the whole stack of compose/docker-compose.yml, built and started by a real
 * Docker Compose from that file, every service healthy by its own healthcheck under its own
 * mem_limit, on the project's own bridge network where they reach each other by service name,
 * ports published by Docker on 127.0.0.1. tests/compose/override.yml replaces only the MLflow
 * build's network (it names each replacement; this file prints them). Images no registry here can
 * give are stand-ins under the file's own names (tests/services/stack-images.sh): Elasticsearch
 * is the real one from Maven Central's jars, adminer the real one from Debian, SeaweedFS the real
 * weed from its Go module, Kibana and fluentd are fakes (tests/fakes/), each saying so.
 */

const run = promisify(execFile);
const env = composeEnv();
const SERVICES = ['elasticsearch', 'kibana', 'fluentd', 'postgres', 'mlflow', 'adminer', 'seaweedfs'] as const;
/** How long every service must stay up and healthy after the work: the observation window. */
const WINDOW_MS = 30_000;
/** MLflow's peak memory under the tutorial's use must stay below this share of its mem_limit. */
const MLFLOW_PEAK_SHARE = 0.9;

async function missing(): Promise<string | undefined> {
  // Importing mlflow takes seconds, more on a busy machine.
  const ok = async (cmd: string, args: string[]) =>
    run(cmd, args, { timeout: 120_000 }).then(
      () => true,
      () => false,
    );
  if (!(await ok('docker', ['info']))) return 'no Docker engine answers (start one with `bash tests/services/dockerd.sh`)';
  if (!(await ok('docker', ['compose', 'version']))) return 'Docker Compose v2 is missing (`bash tests/services/compose.sh`)';
  if (!(await imageKind(BUSYBOX_IMAGE)).present) return `the image ${BUSYBOX_IMAGE} is missing (\`bash tests/services/docker-image.sh\`)`;
  for (const [what, image] of Object.entries(stackImages()))
    if (!(await imageKind(image)).present)
      return `the image ${image} (${what}) is missing and no registry is reachable here (\`bash tests/services/stack-images.sh\`, \`bash tests/services/debian-base.sh python:${env.PYTHON_IMAGE_TAG}\` and \`bash tests/services/postgres-image.sh\` make the stand-ins)`;
  if (!(await ok(venvBin('python'), ['-c', 'import mlflow, fluent'])))
    return `the test virtualenv at ${testEnv.venv} with mlflow and fluent-logger is missing`;
  return undefined;
}

const why = await missing();
// With CI set, a missing tool fails the tier (in beforeAll) instead of skipping it.
if (why && !process.env.CI) console.warn(`!!! SKIPPED compose: ${why}.`);

describe.skipIf(why !== undefined && !process.env.CI)('the compose stack: every service of compose/docker-compose.yml', () => {
  let stack: TierStack;
  let sampler: MemorySampler | undefined;
  const workdir = mkdtempSync(join(tmpdir(), 'compose-tier-'));
  const marker = `tier-${randomBytes(4).toString('hex')}`;
  const runIds: string[] = [];
  let up = false;

  const log = (line: string) => console.log(`compose tier: ${line}`);
  const url = (variable: keyof TierStack['ports'], path: string) => `http://127.0.0.1:${stack.ports[variable]}${path}`;
  const get = (variable: keyof TierStack['ports'], path: string, init?: RequestInit) =>
    fetch(url(variable, path), { ...init, signal: AbortSignal.timeout(15_000) });

  beforeAll(async () => {
    if (why) throw new Error(`The compose tier cannot run here: ${why}. CI is set, so this is a failure, not a skip.`);
    stack = await TierStack.create();
    log(
      `project ${stack.project}; host ports ${Object.entries(stack.ports)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}.`,
    );
    for (const [what, image] of Object.entries(stackImages())) {
      const k = await imageKind(image);
      log(`  ${what}: ${image} ${k.standIn ? `is a stand-in: ${k.standIn}` : 'is the real image'}`);
    }
    log(`${relative(ROOT, OVERRIDE_FILE)} replaces in ${relative(ROOT, REAL_FILE)}:`);
    for (const r of replacements()) log(`  - ${r}`);
  });

  afterAll(async () => {
    try {
      await sampler?.stop();
      if (!stack) return;
      if (up) {
        for (const service of SERVICES) {
          const s = await stack.state(service).catch((err: Error) => err.message);
          log(`${service} at the end: ${typeof s === 'string' ? s : describeState(s)}`);
        }
      }
      await stack.down();
      const project = `label=com.docker.compose.project=${stack.project}`;
      const { stdout: containers } = await run('docker', ['ps', '-aq', '--filter', project]);
      const { stdout: volumes } = await run('docker', ['volume', 'ls', '-q', '--filter', project]);
      const { stdout: networks } = await run('docker', ['network', 'ls', '-q', '--filter', project]);
      expect(`${containers}${volumes}${networks}`.trim(), `containers, volumes or networks of ${stack.project} left behind`).toBe('');
      log('torn down: no container, volume or network of the project is left.');
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });

  it('replaces only what the override names: the MLflow build network', async () => {
    const real = await stack.config([REAL_FILE]);
    const merged = await stack.config();
    expect(Object.keys(merged.services).sort()).toEqual(Object.keys(real.services).sort());
    for (const service of Object.keys(real.services)) {
      const changed = differences(real.services[service], merged.services[service]);
      expect(changed, service).toEqual(service === 'mlflow' ? ['build.network'] : []);
    }
    expect(merged.volumes).toEqual(real.volumes);
    expect(merged.networks).toEqual(real.networks);
    expect(replacements()).toHaveLength(1);
  });

  it('builds fluentd and mlflow from their Dockerfiles with Compose', async () => {
    const t0 = performance.now();
    await stack.compose(['build', 'fluentd', 'mlflow'], 1_800_000);
    const config = await stack.config();
    const mlflowImage = config.services.mlflow!.image as string;
    expect(mlflowImage).toBe(`dstack/mlflow:${env.MLFLOW_VERSION}-psycopg2-${env.PSYCOPG2_VERSION}-python-${env.PYTHON_IMAGE_TAG}`);
    const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'pip', mlflowImage, 'freeze']);
    expect(stdout).toContain(`mlflow==${env.MLFLOW_VERSION}\n`);
    expect(stdout).toContain(`psycopg2-binary==${env.PSYCOPG2_VERSION}\n`);
    const fluentdImage = config.services.fluentd!.image as string;
    expect((await imageKind(fluentdImage)).present).toBe(true);
    log(
      `built ${fluentdImage} and ${mlflowImage} in ${((performance.now() - t0) / 1000).toFixed(0)} s (Docker's build cache makes a repeat quick).`,
    );
  });

  it('starts every service; each becomes healthy by its own healthcheck, under its own mem_limit, on the project network', async () => {
    const t0 = performance.now();
    await stack.compose(['up', '--detach'], 1_800_000);
    up = true;
    sampler = new MemorySampler(stack, SERVICES);
    sampler.start();
    const real = await stack.config([REAL_FILE]);
    for (const service of SERVICES) {
      const s = await stack.healthy(service);
      log(`${service} healthy ${((performance.now() - t0) / 1000).toFixed(0)} s after \`up\`.`);
      expect(s.memoryLimit, service).toBe(Number(real.services[service]!.mem_limit));
      expect(s.networks, service).toEqual([`${stack.project}_default`]);
    }
    const { stdout: driver } = await run('docker', ['network', 'inspect', '-f', '{{.Driver}}', `${stack.project}_default`]);
    expect(driver.trim()).toBe('bridge');
  });

  it('answers on the ports Docker publishes on 127.0.0.1', async () => {
    expect(up).toBe(true);
    const banner = (await (await get('ES_PORT', '/')).json()) as { version: { number: string }; tagline: string };
    expect(banner.version.number).toBe(env.ELASTIC_VERSION);
    expect(banner.tagline).toBe('You Know, for Search');
    const health = await get('MLFLOW_PORT', '/health');
    expect(await health.text()).toBe('OK');
    expect(await (await get('MLFLOW_PORT', '/version')).text()).toBe(env.MLFLOW_VERSION);
    const adminer = await get('ADMINER_PORT', '/');
    const page = await adminer.text();
    expect(adminer.status).toBe(200);
    // ADMINER_DEFAULT_SERVER from the compose file pre-fills the server field with the service name.
    expect(page).toContain('name="auth[server]" value="postgres"');
    const plugins = await get('FLUENTD_MONITOR_PORT', '/api/plugins.json');
    expect(plugins.status).toBe(200);
    expect(((await plugins.json()) as { plugins: { plugin_id: string }[] }).plugins.map((p) => p.plugin_id)).toContain('out_elasticsearch');
  });

  it('reaches services by their names on the project network: Kibana → elasticsearch, adminer → postgres, MLflow → postgres', async () => {
    expect(up).toBe(true);
    // Kibana (the fake follows ELASTICSEARCH_HOSTS=http://elasticsearch:9200) is available only once it got an answer there.
    const status = (await (await get('KIBANA_PORT', '/api/status')).json()) as { status: { overall: { level: string } } };
    expect(status.status.overall.level).toBe('available');
    // adminer logs in to PostgreSQL at `postgres`, as the chapter tells the learner to.
    const form = new URLSearchParams({
      'auth[driver]': 'pgsql',
      'auth[server]': 'postgres',
      'auth[username]': 'mlflow',
      'auth[password]': 'mlflow',
      'auth[db]': 'mlflow',
    });
    const login = await get('ADMINER_PORT', '/', { method: 'POST', body: form, redirect: 'manual' });
    const cookies = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(login.status, await login.text()).toBe(302);
    const tables = await (
      await get('ADMINER_PORT', '/?pgsql=postgres&username=mlflow&db=mlflow&ns=public', { headers: { cookie: cookies } })
    ).text();
    expect(tables).toContain('experiments');
  });

  it('ships Python log records through fluentd into Elasticsearch (logstash-YYYY.MM.DD, @timestamp)', async () => {
    expect(up).toBe(true);
    await run(venvBin('python'), [join(ROOT, 'workspace', 'logging', 'fluentd_test.py')], {
      cwd: join(ROOT, 'workspace'),
      env: { ...process.env, FLUENTD_HOST: '127.0.0.1', FLUENTD_FORWARD_PORT: String(stack.ports.FLUENTD_PORT), TUTORIAL_MARKER: marker },
      timeout: 60_000,
    });
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    const hits = await pollUntil(
      async () => {
        const r = (await (await get('ES_PORT', `/logstash-*/_search?q=marker:%22${marker}%22`)).json()) as {
          hits?: { total: { value: number }; hits: { _index: string; _source: Record<string, unknown> }[] };
        };
        return (r.hits?.total.value ?? 0) >= 3 ? r.hits!.hits : undefined;
      },
      'the records of fluentd_test.py in Elasticsearch',
      60_000,
      500,
    );
    for (const h of hits) {
      expect(h._index).toBe(`logstash-${day}`);
      expect(typeof h._source['@timestamp']).toBe('string');
    }
    log(`${hits.length} records of fluentd_test.py went through fluentd into ${hits[0]!._index}.`);
  });

  it("keeps MLflow's peak memory below 90% of its mem_limit with the UI's pages fetched, simple.py run 4 times and an artifact downloaded", async () => {
    expect(up).toBe(true);
    const api = async (path: string, body?: unknown) => {
      const r = await get('MLFLOW_PORT', path, {
        method: body ? 'POST' : 'GET',
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(r.status, path).toBe(200);
      return r.text();
    };
    for (let i = 0; i < 4; i++) {
      const simple = await runSimple(venvBin('python'), stack.port, workdir, `${marker}-${i}`);
      expect(simple.runId, simple.stdout).not.toBe('');
      runIds.push(simple.runId);
    }
    // The UI: its page and every script and stylesheet it loads, then the API calls of the
    // experiment list, the run list, a run's page, its metric chart and its artifact browser.
    const page = await api('/');
    const assets = [...page.matchAll(/(?:src|href)="\.?\/?(static-files\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    for (const asset of assets) await api(`/${asset}`);
    const experiments = JSON.parse(await api('/ajax-api/2.0/mlflow/experiments/search?max_results=100')) as {
      experiments: { experiment_id: string }[];
    };
    await api('/ajax-api/2.0/mlflow/runs/search', { experiment_ids: experiments.experiments.map((e) => e.experiment_id) });
    for (const runId of runIds) {
      await api(`/ajax-api/2.0/mlflow/runs/get?run_id=${runId}`);
      await api(`/ajax-api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=foo`);
      await api(`/ajax-api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    }
    // An artifact downloaded through the server (proxied artifacts), as the UI's download does.
    const last = runIds.at(-1)!;
    const text = await api(`/get-artifact?path=test.txt&run_uuid=${last}`);
    expect(text).toBe(`hello world!\nmarker: ${marker}-3\n`);
    await sampler!.sample();
    const ml = (await sampler!.peaks.results()).find((r) => r.service === 'mlflow')!;
    // The working set (usage less inactive file pages: what docker stats shows, and what
    // Kubernetes evicts on) is what counts against the limit. The kernel's own high-water mark
    // counts the page cache too, which the kernel takes back before it kills anything: in a
    // fresh-clone CI run it read 739 MiB (96%) beside a working set of 633 MiB and 550 MiB
    // anonymous, so it is logged, not asserted.
    const peak = ml.peakWorkingSet;
    log(
      `MLflow under use (${assets.length} UI files, ${runIds.length} runs, an artifact downloaded): working set ${mib(ml.peakWorkingSet)} (${((peak / ml.limit) * 100).toFixed(0)}% of ${mib(ml.limit)}), anonymous ${mib(ml.peakAnon)}, kernel's peak with page cache ${mib(ml.kernelPeak)}.`,
    );
    expect(peak).toBeLessThan(MLFLOW_PEAK_SHARE * ml.limit);
  });

  it("keeps what MLflow logs as objects in SeaweedFS's bucket, and DVC pushes 100 MB there (SeaweedFS's memory at rest and meanwhile)", async () => {
    expect(up).toBe(true);
    expect(runIds.length).toBeGreaterThan(0);
    const s3 = {
      S3_ENDPOINT_URL: `http://127.0.0.1:${stack.ports.S3_PORT}`,
      S3_ACCESS_KEY: env.S3_ACCESS_KEY!,
      S3_SECRET_KEY: env.S3_SECRET_KEY!,
    };
    const bucketPy = join(ROOT, 'workspace', 'data', 'bucket.py');
    const ls = async (bucket: string, prefix = '') =>
      (await run(venvBin('python'), [bucketPy, 'ls', bucket, prefix], { env: { ...process.env, ...s3 }, timeout: 60_000 })).stdout;
    // simple.py's test.txt, uploaded through MLflow (the client has no S3 credentials), is an object in the bucket.
    expect(await ls(env.S3_BUCKET_MLFLOW!)).toContain(`/${runIds[0]}/artifacts/test.txt\n`);
    // Unsigned requests are refused: the server has an identity.
    const anonymous = await get('S3_PORT', `/${env.S3_BUCKET_DVC}?list-type=2`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');

    const usage = async () => {
      const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', (await stack.state('seaweedfs')).id]);
      const m = /^([\d.]+)([KMG]i?B)/.exec(stdout.trim());
      return m ? Number(m[1]) * { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] as 'KiB'] : Number.NaN;
    };
    const atRest = await usage();
    const repo = join(workdir, 'dvc-100mb');
    await run(
      'bash',
      [
        '-c',
        [
          'git init -q "$REPO" && cd "$REPO" && git config user.name T && git config user.email t@example.invalid',
          'dvc init -q && dvc config core.analytics false',
          'mkdir -p data && head -c 104857600 /dev/urandom > data/big.bin && dvc add -q data/big.bin',
          `dvc remote add -d team s3://${env.S3_BUCKET_DVC}/tier && dvc remote modify team endpointurl "$S3_ENDPOINT_URL"`,
          'dvc remote modify --local team access_key_id "$S3_ACCESS_KEY" && dvc remote modify --local team secret_access_key "$S3_SECRET_KEY"',
        ].join(' && '),
      ],
      { env: { ...process.env, ...s3, REPO: repo, PATH: `${join(venvBin('python'), '..')}:${process.env.PATH}` }, timeout: 120_000 },
    );
    let during = atRest;
    let pushing = true;
    const watch = (async () => {
      while (pushing) {
        during = Math.max(during, await usage());
      }
    })();
    const t0 = performance.now();
    await run(venvBin('dvc'), ['push'], { cwd: repo, timeout: 600_000 }).finally(() => {
      pushing = false;
    });
    await watch;
    const seconds = (performance.now() - t0) / 1000;
    expect(await ls(env.S3_BUCKET_DVC!, 'tier/files/md5/')).toMatch(/^\s*104857600 {2}tier\/files\/md5\//m);
    log(
      `SeaweedFS: ${mib(atRest)} at rest (docker stats, after MLflow's runs), at most ${mib(during)} while \`dvc push\` sent 100 MB in ${seconds.toFixed(0)} s; mem_limit ${mib((await stack.state('seaweedfs')).memoryLimit)}.`,
    );
    expect(during).toBeLessThan((await stack.state('seaweedfs')).memoryLimit);
  });

  it('keeps every service up, healthy and never restarted while watched', async () => {
    expect(up).toBe(true);
    const end = Date.now() + WINDOW_MS;
    let checks = 0;
    while (Date.now() < end) {
      for (const service of SERVICES) {
        const s = await stack.state(service);
        expect(s.status, `${service}: ${describeState(s)}`).toBe('running');
        expect(s.health, `${service}: ${describeState(s)}`).toBe('healthy');
        expect(s.restartCount, `${service}: ${describeState(s)}`).toBe(0);
        expect(s.oomKilled, `${service}: ${describeState(s)}`).toBe(false);
      }
      checks++;
      await new Promise((r) => setTimeout(r, 1000));
    }
    log(`${checks} checks over ${WINDOW_MS / 1000} s: all seven running and healthy, never restarted.`);
  });

  it('records the peak memory of each container, its anonymous memory below its mem_limit', async () => {
    expect(sampler).toBeDefined();
    const results = await sampler!.stop();
    expect(sampler!.errors).toEqual([]);
    expect(results.map((r) => r.service).sort()).toEqual([...SERVICES].sort());
    log(
      `peak memory from each container's ${results[0]?.how}, sampled every second from \`up\` on; anonymous = what the kernel cannot reclaim without swap, working set = usage minus inactive page cache (docker stats), kernel's peak = its high-water mark of all memory charged, page cache included:`,
    );
    for (const r of results) {
      log(
        `  ${r.service}: anonymous ${mib(r.peakAnon)}, working set ${mib(r.peakWorkingSet)}, kernel's peak ${mib(r.kernelPeak)}, limit ${mib(r.limit)} (reached ${r.hitLimit ?? '–'} times), ${r.samples} samples`,
      );
      expect(r.peakAnon, r.service).toBeGreaterThan(0);
      expect(r.peakAnon, r.service).toBeLessThan(r.limit);
    }
  });
});
