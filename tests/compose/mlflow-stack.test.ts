import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, venvBin } from '../helpers/env.ts';
import {
  composeEnv,
  describeState,
  differences,
  imageKind,
  MemorySampler,
  mib,
  NETNS_IMAGE,
  OVERRIDE_FILE,
  pinnedImages,
  REAL_FILE,
  ROOT,
  replacements,
  runSimple,
  TierStack,
} from './stack.ts';

/**
 * The compose tier: MLflow and PostgreSQL from the real compose/docker-compose.yml, built and
 * started by a real Docker Compose under the file's own limits, healthchecks, published port,
 * named volumes and --allowed-hosts, with tests/compose/override.yml replacing only what this
 * machine cannot have (it names each replacement; this file prints them). Elasticsearch, Kibana,
 * fluentd and adminer are not started: their images cannot be had here.
 */

const run = promisify(execFile);
const env = composeEnv();
const images = pinnedImages();
/** How long MLflow must stay up, healthy and under its limit: the observation window. */
const WINDOW_MS = 60_000;
const SERVICES = ['postgres', 'mlflow'] as const;

async function missing(): Promise<string | undefined> {
  const ok = async (cmd: string, args: string[]) =>
    run(cmd, args, { timeout: 15_000 }).then(
      () => true,
      () => false,
    );
  if (!(await ok('docker', ['info']))) return 'no Docker engine answers (start one with `bash tests/services/dockerd.sh`)';
  if (!(await ok('docker', ['compose', 'version']))) return 'Docker Compose v2 is missing (`bash tests/services/compose.sh`)';
  if (!(await imageKind(NETNS_IMAGE)).present) return `the image ${NETNS_IMAGE} is missing (\`bash tests/services/docker-image.sh\`)`;
  if (!(await imageKind(images.python)).present)
    return `the base image ${images.python} is missing (\`bash tests/services/debian-base.sh ${images.python}\` tags a stand-in)`;
  if (!(await imageKind(images.postgres)).present)
    return `the image ${images.postgres} is missing (\`bash tests/services/postgres-image.sh\` builds a stand-in)`;
  if (!(await ok(venvBin('python'), ['-c', 'import mlflow']))) return `the test virtualenv at ${testEnv.venv} with mlflow is missing`;
  if (process.getuid?.() !== 0) return 'publishing a port from a network namespace (setns) needs root, as Docker itself does';
  return undefined;
}

const why = await missing();
// With CI set, a missing tool fails the tier (in beforeAll) instead of skipping it.
if (why && !process.env.CI) console.warn(`!!! SKIPPED compose: ${why}.`);

describe.skipIf(why !== undefined && !process.env.CI)('the compose stack: MLflow on PostgreSQL under compose/docker-compose.yml', () => {
  let stack: TierStack;
  let port: number;
  let sampler: MemorySampler | undefined;
  const workdir = mkdtempSync(join(tmpdir(), 'compose-tier-'));
  const marker = `tier-${randomBytes(4).toString('hex')}`;
  let runId = '';
  let experimentId = '';
  let up = false;

  const log = (line: string) => console.log(`compose tier: ${line}`);
  const mlflow = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });

  beforeAll(async () => {
    if (why) throw new Error(`The compose tier cannot run here: ${why}. CI is set, so this is a failure, not a skip.`);
    stack = await TierStack.create(venvBin('python'));
    port = stack.port;
    const kinds = await Promise.all(
      [images.python, images.postgres].map(async (name) => {
        const k = await imageKind(name);
        return `${name} ${k.standIn ? `is a stand-in (${k.standIn})` : 'is the real image'}`;
      }),
    );
    log(`project ${stack.project}; MLflow published on 127.0.0.1:${port} (MLFLOW_PORT); images: ${kinds.join('; ')}.`);
    log(`${relative(ROOT, OVERRIDE_FILE)} replaces in ${relative(ROOT, REAL_FILE)}:`);
    for (const r of replacements()) log(`  - ${r}`);
    log(`the namespace holder runs ${NETNS_IMAGE}, the tests' own busybox image (tests/services/docker-image.sh).`);
    log('not started (their images cannot be had here): elasticsearch, kibana, fluentd, adminer.');
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
      expect(`${containers}${volumes}`.trim(), `containers or volumes of ${stack.project} left behind`).toBe('');
      log('torn down: no container or volume of the project is left.');
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });

  it('replaces only what the override names: the network, the published port, the build network', async () => {
    const real = await stack.config([REAL_FILE]);
    const merged = await stack.config();
    expect(Object.keys(merged.services).sort()).toEqual([...Object.keys(real.services), 'netns'].sort());
    const changed = (service: string) => {
      const paths = differences(real.services[service], merged.services[service]);
      // network_mode service:netns makes the service depend on the namespace holder, and takes
      // it off the compose network.
      expect(merged.services[service]!.depends_on).toMatchObject({ netns: { condition: 'service_started' } });
      return [...new Set(paths.map((p) => (p.startsWith('depends_on') ? 'depends_on' : p)))].sort();
    };
    expect(changed('postgres')).toEqual(['depends_on', 'network_mode', 'networks']);
    expect(changed('mlflow')).toEqual(['build.network', 'depends_on', 'network_mode', 'networks', 'ports']);
    for (const service of ['elasticsearch', 'kibana', 'fluentd', 'adminer'])
      expect(differences(real.services[service], merged.services[service]), service).toEqual([]);
    expect(merged.volumes).toEqual(real.volumes);
    expect(replacements()).toHaveLength(3);
  });

  it('builds the MLflow image from compose/mlflow/Dockerfile with Compose', async () => {
    const t0 = performance.now();
    await stack.compose(['build', 'mlflow'], 1_800_000);
    const image = (await stack.config()).services.mlflow!.image as string;
    expect(image).toBe(`dstack/mlflow:${env.MLFLOW_VERSION}-psycopg2-${env.PSYCOPG2_VERSION}-python-${env.PYTHON_IMAGE_TAG}`);
    expect((await imageKind(image)).present).toBe(true);
    const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'pip', image, 'freeze']);
    expect(stdout).toContain(`mlflow==${env.MLFLOW_VERSION}\n`);
    expect(stdout).toContain(`psycopg2-binary==${env.PSYCOPG2_VERSION}\n`);
    log(`built ${image} in ${((performance.now() - t0) / 1000).toFixed(0)} s (Docker's build cache makes a repeat quick).`);
  });

  it('starts PostgreSQL and MLflow, which become healthy by the compose file’s own healthchecks', async () => {
    const t0 = performance.now();
    await stack.compose(['up', '--detach', 'postgres', 'mlflow'], 1_800_000);
    up = true;
    sampler = new MemorySampler(stack, SERVICES);
    sampler.start();
    const pg = await stack.healthy('postgres');
    const ml = await stack.healthy('mlflow');
    log(`postgres and mlflow healthy ${((performance.now() - t0) / 1000).toFixed(0)} s after \`up\`.`);
    // The real file's mem_limit is what Docker enforces.
    const config = await stack.config([REAL_FILE]);
    expect(pg.memoryLimit).toBe(Number(config.services.postgres!.mem_limit));
    expect(ml.memoryLimit).toBe(Number(config.services.mlflow!.mem_limit));
    await stack.publish();
    const health = await mlflow('/health');
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('OK');
    expect(await (await mlflow('/version')).text()).toBe(env.MLFLOW_VERSION);
    // --allowed-hosts (/health and /version are exempt from it): the published port is allowed,
    // another Host is refused as a DNS rebinding attempt.
    const search = `http://127.0.0.1:${port}/api/2.0/mlflow/experiments/search?max_results=1`;
    const status = async (host?: string) =>
      (await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...(host ? ['-H', `Host: ${host}`] : []), search])).stdout;
    expect(await status()).toBe('200');
    expect(await status(`localhost:${port}`)).toBe('200');
    expect(await status('evil.example:5000')).toBe('403');
  });

  it('logs a run of workspace/mlflow/simple.py through the published port, with a proxied artifact', async () => {
    expect(up).toBe(true);
    const simple = await runSimple(venvBin('python'), port, workdir, marker);
    runId = simple.runId;
    expect(runId, simple.stdout).not.toBe('');
    const got = (await (await mlflow(`/api/2.0/mlflow/runs/get?run_id=${runId}`)).json()) as {
      run: { info: { artifact_uri: string; experiment_id: string; status: string }; data: { tags: { key: string; value: string }[] } };
    };
    experimentId = got.run.info.experiment_id;
    expect(got.run.info.status).toBe('FINISHED');
    expect(got.run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`);
    expect(got.run.data.tags).toContainEqual({ key: 'tutorial.marker', value: marker });
    const listed = (await (await mlflow(`/api/2.0/mlflow/artifacts/list?run_id=${runId}`)).json()) as { files?: { path: string }[] };
    expect(listed.files?.map((f) => f.path)).toEqual(['test.txt']);
  });

  it('keeps the artifact in the named volume mounted on --artifacts-destination', async () => {
    expect(runId).not.toBe('');
    const ml = await stack.state('mlflow');
    const volume = ml.mounts.find((m) => m.destination === '/mlflow/artifacts')?.name;
    expect(volume).toBe(`${stack.project}_mlflow-artifacts`);
    const { stdout: mountpoint } = await run('docker', ['volume', 'inspect', '-f', '{{.Mountpoint}}', volume!]);
    const { stdout } = await run('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${volume}:/volume:ro`,
      NETNS_IMAGE,
      'cat',
      `/volume/${experimentId}/${runId}/artifacts/test.txt`,
    ]);
    expect(stdout).toBe(`hello world!\nmarker: ${marker}\n`);
    log(`the artifact is in volume ${volume} (${mountpoint.trim()}/${experimentId}/${runId}/artifacts/test.txt).`);
  });

  it('keeps MLflow and PostgreSQL up, healthy and under their limits for a minute', async () => {
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
      const health = await mlflow('/health');
      expect(health.status).toBe(200);
      await health.text();
      checks++;
      await new Promise((r) => setTimeout(r, 1000));
    }
    log(`${checks} checks over ${WINDOW_MS / 1000} s: both running and healthy, never restarted, MLflow answering on 127.0.0.1:${port}.`);
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
        `  ${r.service}: anonymous ${mib(r.peakAnon)}, working set ${mib(r.peakWorkingSet)}, kernel's peak ${mib(r.kernelPeak)}, limit ${mib(r.limit)} (reached ${r.hitLimit ?? '–'} times; page cache is reclaimed there), ${r.samples} samples`,
      );
      // What must fit for the container to live. Page cache may fill the rest of the limit: the
      // kernel reclaims it there, so the kernel's peak and the working set are reported, not bounded.
      expect(r.peakAnon, r.service).toBeGreaterThan(0);
      expect(r.peakAnon, r.service).toBeLessThan(r.limit);
    }
  });
});
