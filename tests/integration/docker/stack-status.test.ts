import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { main as teardown } from '../../../server/cli/teardown.ts';
import { pingDocker } from '../../../server/stack/docker.ts';
import { DEFAULT_ENDPOINTS, type Endpoints } from '../../../server/stack/endpoints.ts';
import { serviceProbes, type Verdict } from '../../../server/stack/status.ts';
import { tryConnect } from '../../../server/stack/tcp.ts';
import { testEnv } from '../../helpers/env.ts';
import { pollUntil } from '../../helpers/net.ts';

/**
 * The stack panel's database light against the real Docker engine: the health of the compose
 * project's postgres container, with containers of the local test image labelled as compose does,
 * on the host network. A PostgreSQL on 127.0.0.1:5432 that is not the stack's must not count.
 */
const IMAGE = process.env.TEST_DOCKER_IMAGE ?? 'tutorial-test/busybox:1';
const project = `tt-${randomBytes(3).toString('hex')}`;
const docker = { socketPath: testEnv.dockerSocket };
const endpoints: Endpoints = { ...DEFAULT_ENDPOINTS, docker, composeProject: project };

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

/** Starts a container of the test image as the `postgres` service of this test's project. */
function postgres(health: string[]): void {
  execFileSync(
    'docker',
    [
      ...['run', '-d', '--network', 'host', '--name', `${project}-postgres-1`],
      ...['--label', `com.docker.compose.project=${project}`, '--label', 'com.docker.compose.service=postgres'],
      ...health,
      IMAGE,
      ...['sleep', '600'],
    ],
    { stdio: 'ignore' },
  );
}
const remove = () => execFileSync('docker', ['rm', '-f', `${project}-postgres-1`], { stdio: 'ignore' });
const light = (): Promise<Verdict> => serviceProbes(endpoints).postgres.ask(AbortSignal.timeout(10_000));
/** Asks the light until it says what `want` waits for (the engine changes a container's state on its own time). */
const lightUntil = (want: (v: Verdict) => boolean, what: string): Promise<Verdict> =>
  pollUntil(async () => {
    const v = await light();
    return want(v) ? v : undefined;
  }, what);

describe.skipIf(!reachable || !hasImage)("the stack panel's PostgreSQL light (real Docker engine)", () => {
  afterAll(async () => {
    await teardown(['--project', project, '--volumes'], () => {});
  });

  it('is off without the stack, whatever else listens on 5432', async () => {
    const other = await tryConnect('127.0.0.1', 5432, AbortSignal.timeout(2000));
    if (!other.open) console.warn('No other PostgreSQL listens on 127.0.0.1:5432 here; the test shows the light off all the same.');
    expect(await light()).toEqual({ state: 'down', detail: 'not running' });
  });

  it("follows the container's health: starting, then healthy", async () => {
    // Failing checks inside the start period keep the container "starting".
    postgres(['--health-cmd', 'false', '--health-interval', '1s', '--health-start-period', '600s']);
    expect(await lightUntil((v) => v.detail === 'starting', 'the health to be starting')).toEqual({ state: 'down', detail: 'starting' });
    remove();
    postgres(['--health-cmd', 'true', '--health-interval', '1s', '--health-retries', '1']);
    expect(await lightUntil((v) => v.state === 'up', 'the container to be healthy')).toEqual({ state: 'up', detail: 'healthy' });
  });

  it('is off for a container that has stopped, with its exit code', async () => {
    execFileSync('docker', ['kill', `${project}-postgres-1`], { stdio: 'ignore' });
    const r = await lightUntil((v) => v.detail.startsWith('exited'), 'the container to exit');
    expect(r).toEqual({ state: 'down', detail: 'exited with code 137' });
  });
});
