import { existsSync } from 'node:fs';
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
  /** A real OpenSearch node (same HTTP API as Elasticsearch for what the probes use). */
  opensearchUrl: process.env.TEST_OPENSEARCH_URL ?? 'http://127.0.0.1:9250',
  /** The Docker engine's socket. */
  dockerSocket: process.env.TEST_DOCKER_SOCKET ?? '/var/run/docker.sock',
  /** Chromium for Playwright. */
  chromium: process.env.TEST_CHROMIUM ?? '/usr/bin/chromium',
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
