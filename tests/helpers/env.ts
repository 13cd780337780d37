import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the test tiers find the real components that .ci/run installs and starts.
 * Every value can be overridden from the environment.
 */
export const testEnv = {
  /** The Python virtualenv with mlflow, dvc, fluent-logger, pyyaml and psycopg2-binary. */
  venv: process.env.TUTORIAL_VENV ?? join(homedir(), '.cache', 'ds-tutorial', 'venv'),
  /** PostgreSQL for MLflow tests: a role that may create databases. */
  postgres: {
    host: process.env.TEST_PG_HOST ?? '127.0.0.1',
    port: Number(process.env.TEST_PG_PORT ?? 5432),
    user: process.env.TEST_PG_USER ?? 'tutorial',
    password: process.env.TEST_PG_PASSWORD ?? 'tutorial',
  },
  /** A real Elasticsearch 8.19.21 node, run from Maven Central's jars by tests/services/elasticsearch/start.sh. */
  elasticsearchUrl: process.env.TEST_ELASTICSEARCH_URL ?? 'http://127.0.0.1:9250',
  /** The Docker engine's socket. */
  dockerSocket: process.env.TEST_DOCKER_SOCKET ?? '/var/run/docker.sock',
  /** Chromium for Playwright. */
  chromium: process.env.TEST_CHROMIUM ?? '/usr/bin/chromium',
  /**
   * Wheels of workspace/requirements.txt (`pip wheel -r workspace/requirements.txt -w DIR`, as
   * .ci/run does), so a test that walks "Create the Python environment" installs without the network.
   */
  wheelhouse: process.env.TUTORIAL_WHEELHOUSE ?? join(homedir(), '.cache', 'ds-tutorial', 'wheelhouse'),
};

/**
 * How Debian's Chromium is started for the e2e tests and the page benchmarks (Playwright's own
 * browser download is not possible on these machines): root needs --no-sandbox, and without the
 * background-networking flags Chromium tries to reach Google's hosts at every start.
 */
export const chromiumLaunch = {
  executablePath: testEnv.chromium,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

/** Path of an executable inside the test virtualenv. */
export function venvBin(name: string): string {
  return join(testEnv.venv, 'bin', name);
}

/** True when the test virtualenv exists. */
export function hasVenv(): boolean {
  return existsSync(venvBin('python'));
}

/** True when the wheelhouse holds wheels. */
export function hasWheelhouse(): boolean {
  return existsSync(testEnv.wheelhouse) && readdirSync(testEnv.wheelhouse).some((f) => f.endsWith('.whl'));
}

/**
 * pip's own variables that make the chapters' `pip install` take the wheelhouse and never the
 * network, and DVC's that keep it from phoning home: the shells of a server started after these
 * are set inherit them.
 */
export const offlinePython: Record<string, string> = {
  PIP_NO_INDEX: '1',
  PIP_FIND_LINKS: testEnv.wheelhouse,
  DVC_NO_ANALYTICS: '1',
};
