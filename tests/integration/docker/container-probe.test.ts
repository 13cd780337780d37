import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckSchema } from '../../../protocol/probes/index.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { main as teardown } from '../../../server/cli/teardown.ts';
import { pingDocker } from '../../../server/stack/docker.ts';
import { DEFAULT_ENDPOINTS, type Endpoints } from '../../../server/stack/endpoints.ts';
import { testEnv } from '../../helpers/env.ts';

/**
 * The container probe against the real Docker engine, with containers of the local image made by
 * tests/services/docker-image.sh, labelled like compose does, on the host network.
 */
const IMAGE = process.env.TEST_DOCKER_IMAGE ?? 'tutorial-test/busybox:1';
const project = `tt-${randomBytes(3).toString('hex')}`;
const docker = { socketPath: testEnv.dockerSocket };
const endpoints: Endpoints = { ...DEFAULT_ENDPOINTS, docker, composeProject: project };
const workspace = mkdtempSync(join(tmpdir(), 'docker-probe-'));

const reachable = (await pingDocker(docker)).ok;
let hasImage = false;
if (reachable) {
  try {
    execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    hasImage = true;
  } catch {}
}
if (!reachable || !hasImage) {
  console.warn(
    `SKIPPED integration/docker: ${!reachable ? `no Docker engine answers at ${testEnv.dockerSocket} (run tests/services/dockerd.sh)` : `the image ${IMAGE} is missing (run tests/services/docker-image.sh)`}.`,
  );
}

const ES_MAX_MAP_COUNT_LINE =
  '{"@timestamp":"2026-03-02T10:15:31.402Z", "log.level":"ERROR", "message":"node validation exception\\n[1] bootstrap checks failed. You must address the points described in the following [1] lines before starting Elasticsearch.\\nbootstrap check failure [1] of [1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]; for more information see [https://www.elastic.co/guide/en/elasticsearch/reference/8.19/_maximum_map_count_check.html]", "ecs.version": "1.2.0","service.name":"ES_ECS","event.dataset":"elasticsearch.server","process.thread.name":"main","log.logger":"org.elasticsearch.bootstrap.Elasticsearch","elasticsearch.node.name":"es01","elasticsearch.cluster.name":"docker-cluster"}';

/** Starts a container of the test image as compose service `service` of this test's project. */
function run(service: string, args: string[], command: string[]): string {
  return execFileSync(
    'docker',
    [
      'run',
      '-d',
      '--network',
      'host',
      '--name',
      `${project}-${service}-1`,
      '--label',
      `com.docker.compose.project=${project}`,
      '--label',
      `com.docker.compose.service=${service}`,
      ...args,
      IMAGE,
      ...command,
    ],
    { encoding: 'utf8' },
  ).trim();
}

function inspect(service: string, format: string): string {
  return execFileSync('docker', ['inspect', '-f', format, `${project}-${service}-1`], { encoding: 'utf8' }).trim();
}

async function until(f: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const probe = (spec: Record<string, unknown>, ep: Endpoints = endpoints): Promise<CheckResult> =>
  runCheck(CheckSchema.parse({ kind: 'container', ...spec }), { workspace, endpoints: ep });

describe.skipIf(!reachable || !hasImage)('container probe (real Docker engine)', () => {
  beforeAll(async () => {
    run('runner', [], ['sleep', '600']);
    run('quitter', [], ['sh', '-c', 'echo bye; exit 3']);
    run('healthy', ['--health-cmd', 'true', '--health-interval', '1s', '--health-retries', '1'], ['sleep', '600']);
    run('sick', ['--health-cmd', 'echo not ready; false', '--health-interval', '1s', '--health-retries', '1'], ['sleep', '600']);
    // The memory hog allocates only once Docker has started it: an OOM kill in a container's first
    // moments can come before containerd watches its memory cgroup, and Docker then reports exit
    // code 137 with OOMKilled false (about one run in twelve on this engine). dd, exec'd so that it
    // is the container's main process, reads 100 MB into one buffer.
    run(
      'hog',
      ['--memory', '8m', '--memory-swap', '8m'],
      ['sh', '-c', 'until test -e /tmp/go; do sleep 1; done; exec dd if=/dev/zero of=/dev/null bs=100M count=1'],
    );
    execFileSync('docker', ['exec', `${project}-hog-1`, 'sh', '-c', ': > /tmp/go']);
    run('flaky', ['--restart', 'on-failure:3'], ['sh', '-c', 'echo crashing; exit 1']);
    run('elasticsearch', ['-e', `LINE=${ES_MAX_MAP_COUNT_LINE}`], ['sh', '-c', 'echo "$LINE"; exit 78']);
    await until(() => inspect('quitter', '{{.State.Status}}') === 'exited', 'quitter to exit');
    await until(() => inspect('healthy', '{{.State.Health.Status}}') === 'healthy', 'healthy to become healthy');
    await until(() => inspect('sick', '{{.State.Health.Status}}') === 'unhealthy', 'sick to become unhealthy');
    await until(() => inspect('hog', '{{.State.Status}}') === 'exited', 'hog to be killed');
    // on-failure:3 restarts it three times, then leaves it exited for good: a final state, so the
    // test below reads the same count and state however fast or slow Docker is.
    await until(() => inspect('flaky', '{{.State.Status}} {{.RestartCount}}') === 'exited 3', 'flaky to stop after its 3 restarts');
    await until(() => inspect('elasticsearch', '{{.State.Status}}') === 'exited', 'elasticsearch to exit');
  });
  afterAll(async () => {
    await teardown(['--project', project, '--volumes'], () => {});
    rmSync(workspace, { recursive: true, force: true });
  });

  it('passes for a running container, found by its compose labels', async () => {
    expect(await probe({ service: 'runner' })).toMatchObject({ ok: true, message: 'The runner container is running.' });
  });

  it('says a service without a container is not created, and sends the learner back to the images step', async () => {
    const r = await probe({ service: 'nobody' });
    expect(r.message).toBe(`There is no container for the service nobody in the compose project ${project}.`);
    // `up -d nobody` would fail the same way when the image could not be downloaded.
    expect(r.diagnosis?.id).toBe('containers-not-created');
    expect(r.diagnosis?.fix).toMatch(/^Run `docker compose -f compose\/docker-compose\.yml create`/);
  });

  it('reports an exited container with its exit code and logs, and passes when that exit is expected', async () => {
    const r = await probe({ service: 'quitter' });
    expect(r.message).toBe('The quitter container has exited with code 3, and the step expects it to be running.');
    expect(r.evidence.find((e) => e.label.startsWith('Container logs'))?.text).toBe('bye');
    expect((await probe({ service: 'quitter', exitCode: 3 })).ok).toBe(true);
    expect((await probe({ service: 'quitter', exitCode: 0 })).message).toBe(
      'The quitter container exited with code 3, and the step expects 0.',
    );
  });

  it('tells healthy from unhealthy through the healthcheck', async () => {
    expect((await probe({ service: 'healthy', health: 'healthy' })).ok).toBe(true);
    const r = await probe({ service: 'sick', health: 'healthy' });
    expect(r.message).toBe('The sick container is unhealthy, and the step expects it to be healthy.');
    expect(r.evidence.find((e) => e.label === 'Container state')?.text).toMatch(/last healthcheck: exit 1: not ready/);
    expect((await probe({ service: 'runner', health: 'healthy' })).message).toBe(
      'The runner container has no healthcheck, and the step expects it to be healthy.',
    );
  });

  it('recognises a container killed for memory (exit code 137, OOMKilled) and diagnoses it', async () => {
    const r = await probe({ service: 'hog' });
    expect(r.message).toBe('The hog container has exited with code 137 (killed for memory), and the step expects it to be running.');
    expect(r.evidence.find((e) => e.label === 'Container state')?.text).toMatch(/exit code 137, OOMKilled: true/);
    expect(r.diagnosis?.id).toBe('oom-killed');
    expect((await probe({ service: 'hog', state: 'exited', oomKilled: true })).ok).toBe(true);
  });

  it('counts restarts', async () => {
    const r = await probe({ service: 'flaky', state: 'exited', maxRestarts: 0 });
    expect(r.message).toBe('The flaky container has restarted 3 times, more than the 0 the step allows.');
    expect((await probe({ service: 'flaky', state: 'exited', maxRestarts: 3 })).ok).toBe(true);
  });

  it('finds a log pattern in the last lines', async () => {
    expect((await probe({ service: 'quitter', state: 'exited', logs: '^bye$' })).ok).toBe(true);
    const r = await probe({ service: 'quitter', state: 'exited', logs: 'hello', tail: 5 });
    expect(r.message).toBe('The last 5 log lines of the quitter container do not show what the step expects (/hello/).');
  });

  it("diagnoses Elasticsearch's vm.max_map_count bootstrap failure from its real log line", async () => {
    const r = await runCheck(
      CheckSchema.parse({
        all: [
          { kind: 'container', service: 'elasticsearch', health: 'healthy' },
          { kind: 'http', url: 'http://127.0.0.1:1/', timeout: 1 },
        ],
      }),
      { workspace, endpoints },
    );
    expect(r.ok).toBe(false);
    expect(r.message).toBe('The elasticsearch container has exited with code 78, and the step expects it to be running.');
    expect(r.diagnosis?.id).toBe('es-max-map-count');
    expect(r.hint).toMatch(
      // `sudo` only where the shell is not root (server/checks/host-advice.ts).
      /^Elasticsearch stopped at its bootstrap check: the host kernel setting vm.max_map_count is 65530.*`(sudo )?sysctl -w vm.max_map_count=262144`/,
    );
  });

  it('teardown --list names exactly this project, and teardown removes it', async () => {
    execFileSync('docker', ['network', 'create', '--label', `com.docker.compose.project=${project}`, `${project}_default`], {
      stdio: 'ignore',
    });
    execFileSync('docker', ['volume', 'create', '--label', `com.docker.compose.project=${project}`, `${project}_esdata`], {
      stdio: 'ignore',
    });
    const env = process.env.TUTORIAL_COMPOSE_PROJECT;
    process.env.TUTORIAL_COMPOSE_PROJECT = project;
    try {
      let out = '';
      expect(await teardown(['--list'], (s) => (out += s))).toBe(0);
      expect(out).toContain(`Teardown would remove (compose project ${project}):`);
      expect(out).toContain(`container ${project}-runner-1 (running)`);
      expect(out).toContain(`network ${project}_default`);
      expect(out).not.toMatch(/^ {2}volume /m);
      expect(out).toContain('1 volume is kept; add --volumes to remove it too.');
      const before = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], {
        encoding: 'utf8',
      }).trim();
      expect(before.split('\n')).toHaveLength(7);
      out = '';
      expect(await teardown(['--volumes'], (s) => (out += s))).toBe(0);
      expect(out).toContain(`removed volume ${project}_esdata`);
      const after = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], {
        encoding: 'utf8',
      }).trim();
      expect(after).toBe('');
    } finally {
      if (env === undefined) delete process.env.TUTORIAL_COMPOSE_PROJECT;
      else process.env.TUTORIAL_COMPOSE_PROJECT = env;
    }
  });
});

describe('Docker unreachable', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'docker-sock-'));
  const silentPath = join(dir, 'silent.sock');
  beforeAll(async () => {
    // A socket that accepts and never answers, like a wedged daemon.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(silentPath, r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('says "Docker is not running" when the socket does not exist', async () => {
    const r = await probe({ service: 'elasticsearch' }, { ...endpoints, docker: { socketPath: join(dir, 'missing.sock') } });
    expect(r.message).toBe(`Docker is not running: nothing answers at unix://${join(dir, 'missing.sock')}.`);
    expect(r.diagnosis?.id).toBe('docker-not-running');
  });

  it('says "Docker is not running" when the socket accepts and never answers, instead of hanging', async () => {
    const r = await probe({ service: 'elasticsearch', timeout: 30 }, { ...endpoints, docker: { socketPath: silentPath } });
    expect(r.message).toBe(`Docker is not running: the engine at unix://${silentPath} did not answer within 2 seconds.`);
    expect(r.diagnosis?.id).toBe('docker-not-running');
  });
});
