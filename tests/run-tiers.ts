/**
 * `npm test`: every test tier in order. A tier whose tool is missing is skipped with one loud
 * line naming what is missing and how to get it; when CI is set, a skip counts as a failure.
 * Options: `npm test -- --only unit,e2e` runs just those tiers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pinnedImages, stackImages } from './compose/stack.ts';
import { hasVenv, testEnv, venvBin } from './helpers/env.ts';
import { FailedLines } from './helpers/failed-lines.ts';
import { hasWeed, WEED } from './helpers/seaweedfs.ts';

interface Tier {
  name: string;
  /** An opt-in tier runs only when this variable is 1; otherwise one line says so, and CI does not count it. */
  optIn?: string;
  /** Why the tier cannot run here, or undefined when it can. */
  missing?: () => string | undefined;
  command: string[];
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 }).status === 0;

const needVenv = (what: string) => () =>
  hasVenv() && run(venvBin('python'), ['-c', what])
    ? undefined
    : `the test virtualenv at ${testEnv.venv} with ${what.replace('import ', '')} is missing (bash .ci/run makes it, or set TUTORIAL_VENV)`;

/** Like needVenv, but finds the modules without importing them (mlflow with DVC's S3 plugin takes longer to import than `run` waits on a busy machine). */
const needModules =
  (...modules: string[]) =>
  () =>
    hasVenv() &&
    run(venvBin('python'), [
      '-c',
      `import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ${JSON.stringify(modules)}) else 1)`,
    ])
      ? undefined
      : `the test virtualenv at ${testEnv.venv} with ${modules.join(', ')} is missing (bash .ci/run makes it, or set TUTORIAL_VENV)`;

const needDocker = () => {
  if (!run('docker', ['info']))
    return 'no Docker engine answers (`docker info` failed); start one with `bash tests/services/dockerd.sh` (apt-get install docker.io)';
  if (!run('docker', ['image', 'inspect', 'tutorial-test/busybox:1']))
    return 'the test image tutorial-test/busybox:1 is missing; make it with `bash tests/services/docker-image.sh`';
  if (!run('docker', ['compose', 'version']))
    return 'Docker Compose v2 is missing (`docker compose version` failed); build it with `bash tests/services/compose.sh`';
  return undefined;
};

/**
 * The compose tier and the self-test: Docker as above, every image of the stack (real, or the
 * stand-ins of tests/services/stack-images.sh and its neighbours), mlflow and fluent-logger in the venv.
 */
const needStack = () => {
  const docker = needDocker();
  if (docker) return docker;
  for (const [what, image] of Object.entries(stackImages()))
    if (!run('docker', ['image', 'inspect', image]))
      return `the image ${image} (${what}) is missing and no registry is reachable; \`bash tests/services/stack-images.sh\` builds the stand-ins (with debian-base.sh ${pinnedImages().python} and postgres-image.sh)`;
  if (!(hasVenv() && run(venvBin('python'), ['-c', 'import mlflow, fluent'])))
    return `the test virtualenv at ${testEnv.venv} with mlflow and fluent-logger is missing (bash .ci/run makes it, or set TUTORIAL_VENV)`;
  return undefined;
};

const needPostgres = () =>
  run('pg_isready', ['-h', testEnv.postgres.host, '-p', String(testEnv.postgres.port)])
    ? undefined
    : `PostgreSQL does not answer on ${testEnv.postgres.host}:${testEnv.postgres.port}; start it with \`bash tests/services/postgres.sh\` (apt-get install postgresql)`;

const needElasticsearch = () =>
  run('curl', ['-sf', '-m', '5', `${testEnv.elasticsearchUrl}/_cluster/health`])
    ? undefined
    : `no Elasticsearch node answers at ${testEnv.elasticsearchUrl}; start one with \`bash tests/services/elasticsearch/start.sh\` (needs Java 17 and Maven)`;

const FLUENTD = process.env.TUTORIAL_FLUENTD ?? 'fluentd';
const needRealFluentd = () =>
  spawnSync(FLUENTD, ['--dry-run', '-c', 'compose/fluentd/fluent.conf'], { stdio: 'ignore', timeout: 60_000 }).status === 0
    ? undefined
    : `no fluentd with fluent-plugin-elasticsearch here (\`${FLUENTD} --dry-run -c compose/fluentd/fluent.conf\` failed); install fluentd 1.19, fluent-plugin-elasticsearch 5.4 and the elasticsearch gem 8.x, or set TUTORIAL_FLUENTD to its executable`;

const WORKSHOP_BASE =
  /ARG PYTHON_IMAGE=(\S+)/.exec(readFileSync('workshop/image/Dockerfile', 'utf8'))?.[1] ?? 'python:3.12.11-slim-bookworm';

const needWorkshop = () => {
  if (!run('docker', ['info'])) return 'no Docker engine answers (`docker info` failed); start one with `bash tests/services/dockerd.sh`';
  if (!run('docker', ['image', 'inspect', WORKSHOP_BASE]))
    return `the workspace image's base ${WORKSHOP_BASE} is missing and no registry is reachable here; make a local stand-in with \`bash tests/services/debian-base.sh ${WORKSHOP_BASE}\``;
  if (!run('python3', ['-c', 'import venv, ensurepip']))
    return "python3 with venv is missing (the hub's virtualenv); apt-get install python3-venv";
  if (!existsSync(testEnv.chromium)) return `Chromium is missing at ${testEnv.chromium} (apt-get install chromium, or set TEST_CHROMIUM)`;
  return undefined;
};

const all =
  (...checks: (() => string | undefined)[]) =>
  () => {
    for (const c of checks) {
      const m = c();
      if (m) return m;
    }
    return undefined;
  };

const vitest = (dir: string) => ['npx', 'vitest', 'run', '--project', 'integration', `tests/integration/${dir}`];

const TIERS: Tier[] = [
  { name: 'typecheck', command: ['npm', 'run', '-s', 'typecheck'] },
  {
    // Biome for the TypeScript, ShellCheck for the shells' rc files (server/terminal/shells/).
    name: 'lint',
    missing: () => (run('shellcheck', ['--version']) ? undefined : 'ShellCheck is missing (apt-get install shellcheck)'),
    command: ['npm', 'run', '-s', 'lint'],
  },
  { name: 'unit', command: ['npx', 'vitest', 'run', '--project', 'unit'] },
  // The server (build/server/, server/bundle.mjs) and the site are built once here: the server
  // tiers run the one and serve the other, and a broken chapter fails the build.
  { name: 'build', command: ['npm', 'run', '-s', 'build'] },
  {
    name: 'integration/terminal',
    missing: () => (run('bash', ['-c', 'true']) ? undefined : 'bash is not installed'),
    command: vitest('terminal'),
  },
  { name: 'integration/checks', command: vitest('checks') },
  {
    name: 'integration/runner',
    missing: () => (run('bash', ['-c', 'true']) ? undefined : 'bash is not installed'),
    command: vitest('runner'),
  },
  {
    // The tutorial's terminals in the shells and rc files learners have (tests/integration/shells/cases.ts).
    name: 'shells',
    missing: all(
      () => (run('bash', ['-c', 'true']) ? undefined : 'bash is not installed'),
      () =>
        run('zsh', ['-c', 'true'])
          ? undefined
          : 'zsh is not installed (apt-get install zsh zsh-theme-powerlevel9k zsh-autosuggestions zsh-syntax-highlighting)',
      needVenv('import dvc'),
    ),
    command: vitest('shells'),
  },
  { name: 'integration/docker', missing: needDocker, command: vitest('docker') },
  // The whole stack built and run under compose/docker-compose.yml (tests/compose/).
  { name: 'compose', missing: needStack, command: ['npx', 'vitest', 'run', '--project', 'compose'] },
  { name: 'integration/mlflow', missing: all(needVenv('import mlflow, psycopg2'), needPostgres), command: vitest('mlflow') },
  {
    name: 'integration/dvc',
    missing: all(needVenv('import dvc'), () => (run('git', ['--version']) ? undefined : 'git is not installed')),
    command: vitest('dvc'),
  },
  {
    // SeaweedFS (the stack's S3 storage) run from its Go module's weed: MLflow's artifacts and DVC's remote in it.
    name: 'integration/s3',
    missing: all(needModules('mlflow', 'psycopg2', 'boto3', 'dvc_s3'), needPostgres, () =>
      hasWeed() ? undefined : `SeaweedFS's weed is missing at ${WEED}; build it with \`bash tests/services/seaweedfs.sh\` (needs Go)`,
    ),
    command: vitest('s3'),
  },
  { name: 'integration/search', missing: all(needVenv('import fluent'), needElasticsearch), command: vitest('search') },
  { name: 'integration/python', missing: needVenv('import yaml, fluent'), command: vitest('python') },
  {
    // The fluentd chapter against a real fluentd: no registry here has it, so only on request.
    name: 'fluentd-real',
    optIn: 'TUTORIAL_REAL_FLUENTD',
    missing: all(needVenv('import fluent'), needElasticsearch, needRealFluentd),
    command: ['npx', 'vitest', 'run', '--project', 'fluentd-real'],
  },
  {
    name: 'e2e',
    missing: () =>
      existsSync(testEnv.chromium)
        ? undefined
        : `Chromium is missing at ${testEnv.chromium} (apt-get install chromium, or set TEST_CHROMIUM)`,
    command: ['npx', 'playwright', 'test'],
  },
  {
    name: 'workshop',
    missing: needWorkshop,
    command: ['npx', 'vitest', 'run', '--project', 'workshop'],
  },
  {
    name: 'self-test',
    missing: all(needVenv('import mlflow, dvc, fluent'), needStack),
    command: ['npx', 'tsx', 'tests/self-test.ts'],
  },
];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',').map((s) => s.trim());
const tiers = only ? TIERS.filter((t) => only.includes(t.name)) : TIERS;
const ci = Boolean(process.env.CI);
const results: {
  name: string;
  outcome: 'passed' | 'failed' | 'skipped' | 'opt-in';
  seconds: number;
  note?: string;
  failures?: string[];
}[] = [];

/**
 * Runs a tier with its output passed through as it comes, and keeps the lines that name a failed
 * test (tests/helpers/failed-lines.ts): a CI log is often read from its end.
 */
const runTier = (command: string[]) =>
  new Promise<{ status: number | null; failures: string[] }>((resolve) => {
    const failed = new FailedLines();
    const child = spawn(command[0]!, command.slice(1), { stdio: ['inherit', 'pipe', 'pipe'] });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      const kept = failed.stream();
      from.on('data', (chunk: Buffer) => {
        to.write(chunk);
        kept.write(chunk);
      });
      from.on('end', () => kept.end());
    }
    child.on('error', (error) => {
      failed.lines.push(`${command[0]}: ${error.message}`);
      resolve({ status: 1, failures: failed.lines });
    });
    child.on('close', (status) => resolve({ status, failures: failed.lines }));
  });

for (const tier of tiers) {
  const existsDir = tier.name.startsWith('integration/') ? existsSync(join('tests', tier.name)) : true;
  if (!existsDir) {
    results.push({ name: tier.name, outcome: 'failed', seconds: 0, note: `tests/${tier.name} has no tests` });
    console.error(`\n✗ ${tier.name}: tests/${tier.name} has no tests`);
    continue;
  }
  if (tier.optIn && process.env[tier.optIn] !== '1') {
    console.log(`\n- ${tier.name}: opt-in, not run (set ${tier.optIn}=1 to run it)`);
    results.push({ name: tier.name, outcome: 'opt-in', seconds: 0 });
    continue;
  }
  const why = tier.missing?.();
  if (why) {
    const line = `!!! SKIPPED ${tier.name}: ${why}${ci ? ' (CI is set, so this skip is a failure)' : ''}`;
    console.error(`\n${line}`);
    results.push({ name: tier.name, outcome: ci ? 'failed' : 'skipped', seconds: 0, note: why });
    continue;
  }
  console.log(`\n=== ${tier.name}: ${tier.command.join(' ')}`);
  const started = Date.now();
  const { status, failures } = await runTier(tier.command);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  results.push({ name: tier.name, outcome: status === 0 ? 'passed' : 'failed', seconds, failures });
}

console.log('\nTiers:');
for (const r of results) {
  const mark = r.outcome === 'passed' ? '✓' : r.outcome === 'failed' ? '✗' : '-';
  console.log(`  ${mark} ${r.name.padEnd(22)} ${r.outcome.padEnd(8)} ${r.seconds}s${r.note ? `  (${r.note})` : ''}`);
}
for (const r of results.filter((r) => r.outcome === 'failed' && r.failures?.length)) {
  console.log(`\nWhat failed in ${r.name}:`);
  for (const line of r.failures!) console.log(`  ${line}`);
}
const count = (o: string) => results.filter((r) => r.outcome === o).length;
console.log(`tiers: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
process.exit(count('failed') > 0 ? 1 : 0);
