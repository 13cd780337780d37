import { defineConfig } from 'vitest/config';

// Shells under test skip the machine's ~/.bashrc (see server/terminal/shell-integration.ts).
process.env.TUTORIAL_SKIP_BASHRC = '1';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Real services and real shells: keep the two cores for them.
          fileParallelism: false,
        },
      },
      {
        test: {
          // The compose tier (tests/compose/): builds an image and runs MLflow and PostgreSQL under
          // compose/docker-compose.yml, then watches them for a minute.
          name: 'compose',
          include: ['tests/compose/**/*.test.ts'],
          environment: 'node',
          testTimeout: 1_800_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Opt-in: the fluentd chapter against a real fluentd (tests/fluentd-real/; run by
          // `TUTORIAL_REAL_FLUENTD=1 npm test -- --only fluentd-real`).
          name: 'fluentd-real',
          include: ['tests/fluentd-real/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Workshop mode for real: JupyterHub, DockerSpawner, a Docker engine and Chromium
          // (tests/workshop/; run by `npm test -- --only workshop`).
          name: 'workshop',
          include: ['tests/workshop/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          // `up` builds the workspace image when it is missing (.ci/run builds it first).
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
