import { join } from 'node:path';
import { REPO_ROOT } from '../../paths.ts';
import type { Out } from '../support.ts';
import { freePort } from './hub.ts';
import { run } from './image.ts';

/**
 * The class server (`npm run workshop -- up --team-stack`): the stack's MLflow server, its
 * PostgreSQL and its S3 storage, run once on the instructor's Docker engine for the whole class,
 * so that the "Work as a team" chapter's team is the class. compose/class-server.yml says what it
 * adds to the stack's own compose file; the hub joins its MLflow and storage containers to each
 * learner's network under these names.
 */

const COMPOSE_FILES = ['-f', join(REPO_ROOT, 'compose', 'docker-compose.yml'), '-f', join(REPO_ROOT, 'compose', 'class-server.yml')];

/** The names learners reach the class server's services at, on their own networks. */
export const TEAM_ALIASES = { mlflow: 'team-mlflow', seaweedfs: 'team-s3' } as const;

/** Inside the containers: MLflow's and the S3 gateway's own ports. */
const INNER_PORT = { mlflow: 5000, seaweedfs: 8333 } as const;

export interface TeamStack {
  project: string;
  /** alias → container name, for the hub (WORKSHOP_TEAM_CONTAINERS). */
  containers: Record<string, string>;
  /** Where the instructor opens them on this machine. */
  mlflowUrl: string;
  s3Url: string;
}

/** The Compose project of a workshop's class server. */
export function teamProject(workshop: string): string {
  return `${workshop}-team`;
}

/** `docker compose` on the class server's project and files. */
function compose(project: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return run('docker', ['compose', '-p', project, ...COMPOSE_FILES, ...args], timeoutMs, env);
}

/** The container of one of the project's services and its published host port, if it runs. */
async function running(project: string, service: keyof typeof INNER_PORT): Promise<{ name: string; port: number } | undefined> {
  const ps = await run('docker', [
    'ps',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
    '--format',
    '{{.Names}}',
  ]);
  const name = ps.stdout.split('\n').find(Boolean);
  if (!name) return undefined;
  const port = await run('docker', ['port', name, `${INNER_PORT[service]}/tcp`]);
  const m = /127\.0\.0\.1:(\d+)/.exec(port.stdout);
  return m ? { name, port: Number(m[1]) } : undefined;
}

/**
 * Starts the class server (or finds it running, on the ports it has) and waits until MLflow is
 * healthy. Images the stack builds are built as a learner's `up` builds them.
 */
export async function startTeamStack(workshop: string, out: Out): Promise<TeamStack> {
  const project = teamProject(workshop);
  const [mlflowNow, s3Now] = [await running(project, 'mlflow'), await running(project, 'seaweedfs')];
  const mlflowPort = mlflowNow?.port ?? (await freePort());
  const s3Port = s3Now?.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WORKSHOP_NAME: workshop,
    MLFLOW_PORT: String(mlflowPort),
    S3_PORT: String(s3Port),
    // The Host learners' requests carry on their networks; the instructor's 127.0.0.1:<port> is
    // in the compose file's list already.
    MLFLOW_EXTRA_ALLOWED_HOST: `${TEAM_ALIASES.mlflow}:${INNER_PORT.mlflow},${TEAM_ALIASES.mlflow}`,
    MLFLOW_CORS_ALLOWED_ORIGINS: '',
  };
  // The images the stack builds are built as a learner's `up` builds them, unless they are here
  // already: their tags name every input of the build (compose/docker-compose.yml).
  const images = (await compose(project, ['config', '--images', 'mlflow', 'postgres', 'seaweedfs'], env, 60_000)).stdout
    .split('\n')
    .filter(Boolean);
  const present = await Promise.all(images.map(async (i) => (await run('docker', ['image', 'inspect', i])).code === 0));
  const build = images.length === 0 || present.includes(false);
  out(`Starting the class server (MLflow, PostgreSQL and S3 storage: Compose project ${project})…\n`);
  const up = await compose(
    project,
    ['up', '-d', ...(build ? [] : ['--no-build']), '--wait', '--wait-timeout', '300', 'mlflow'],
    env,
    900_000,
  );
  if (up.code !== 0) {
    const tail = `${up.stderr}${up.stdout}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `The class server did not start (docker compose -p ${project} … up mlflow):\n${tail}\n` +
        `\`docker compose -p ${project} logs mlflow seaweedfs\` shows why; \`npm run workshop -- down\` removes it.`,
    );
  }
  const mlflow = await running(project, 'mlflow');
  const s3 = await running(project, 'seaweedfs');
  if (!mlflow || !s3) throw new Error(`The class server's containers are not running after \`up\` (Compose project ${project}).`);
  return {
    project,
    containers: { [TEAM_ALIASES.mlflow]: mlflow.name, [TEAM_ALIASES.seaweedfs]: s3.name },
    mlflowUrl: `http://127.0.0.1:${mlflow.port}`,
    s3Url: `http://127.0.0.1:${s3.port}`,
  };
}

/** What each workspace's tutorial is told (its TEAM_* variables), by how the workspaces are networked. */
export function teamUrls(team: TeamStack, network: 'host' | 'learners'): { mlflow: string; s3: string } {
  if (network === 'host') return { mlflow: team.mlflowUrl, s3: team.s3Url };
  return {
    mlflow: `http://${TEAM_ALIASES.mlflow}:${INNER_PORT.mlflow}`,
    s3: `http://${TEAM_ALIASES.seaweedfs}:${INNER_PORT.seaweedfs}`,
  };
}

/** The hub's variables for the class server: what workspaces are told, and what joins their networks. */
export function teamEnv(team: TeamStack, network: 'host' | 'learners'): Record<string, string> {
  const urls = teamUrls(team, network);
  return {
    WORKSHOP_TUTORIAL_TEAM_MLFLOW_URL: urls.mlflow,
    WORKSHOP_TUTORIAL_TEAM_S3_URL: urls.s3,
    ...(network === 'learners'
      ? {
          WORKSHOP_TEAM_CONTAINERS: Object.entries(team.containers)
            .map(([alias, c]) => `${alias}=${c}`)
            .join(','),
        }
      : {}),
  };
}

/** Removes the class server's containers and network; with `volumes`, its runs and objects too. */
export async function stopTeamStack(workshop: string, volumes: boolean, out: Out, err: Out): Promise<number> {
  const project = teamProject(workshop);
  const known = await run('docker', ['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
  const vols = await run('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
  if (!known.stdout.trim() && !(volumes && vols.stdout.trim())) return 0;
  const env = { ...process.env, WORKSHOP_NAME: workshop };
  const down = await compose(project, ['down', '-t', '10', ...(volumes ? ['-v'] : [])], env, 300_000);
  if (down.code !== 0) {
    err(`could not remove the class server (Compose project ${project}): ${down.stderr.trim()}\n`);
    return 1;
  }
  out(`removed the class server (Compose project ${project}${volumes ? ', with its runs and objects' : '; its volumes are kept'})\n`);
  return 0;
}
