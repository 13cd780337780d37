import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Out, parseOrExplain, runIfMain, toStderr, toStdout } from './support.ts';
import { containers, progressService } from './workshop/class.ts';
import {
  accountsFor,
  alive,
  defaultWorkshopState,
  ensureHubVenv,
  ensurePrivateDir,
  ensureProxy,
  freePort,
  hubLogTail,
  readJson,
  startHub,
  type WorkshopState,
  WorkshopStateSchema,
  writePrivate,
} from './workshop/hub.ts';
import { BASE_IMAGE, buildImage, IMAGE_REPOSITORY, imageExists, imageTag, run, vendorFromMachine } from './workshop/image.ts';
import { DEFAULT_SUBNET_POOL, dockerNetworkGateway, removeNetworks } from './workshop/network.ts';
import { ensureSeed } from './workshop/seed.ts';
import { startTeamStack, stopTeamStack, teamEnv, teamUrls } from './workshop/team.ts';

/**
 * `npm run workshop -- up | status | down | build`: workshop mode on one machine with Docker
 * (docs/workshop.md). JupyterHub with DockerSpawner runs one workspace container per learner, each
 * with the tutorial behind jupyter-server-proxy and Jupyter's own login, and its own Docker engine.
 */

const USAGE = `Usage: npm run workshop -- <command> [options]

  up       builds what is missing (the workspace image, the hub's virtualenv, the proxy), starts
           the hub and prints its address and one "learner-K <password>" line per learner
             --learners N        accounts for N learners (default 3; kept, and added to, across ups)
             --port P            the hub's port (default: a free one)
             --host ADDR --i-understand-this-is-public
                                 listen on ADDR instead of 127.0.0.1 (other machines reach the
                                 login page; put HTTPS in front, see docs/workshop.md)
             --mem-limit SIZE    memory of each workspace (default 2G)
             --engine-mem-limit SIZE  memory of each learner's Docker engine (default 7G)
             --engine MODE       each learner's Docker engine: rootless (default: dockerd as
                                 the learner's uid in a user namespace, its root is not the
                                 host's) or privileged (dockerd as root in a privileged sidecar:
                                 GIVES EVERY LEARNER ROOT ON THIS MACHINE, its disks and every
                                 other learner's files; only where every learner may have that)
             --no-engine         no Docker engine per learner
             --no-image-seed     do not load the stack's images into each learner's engine
                                 (by default up saves them once and every engine loads them)
             --cull-timeout S    stop a workspace idle for S seconds (default 3600)
             --host-network      every workspace on the host's network instead of a bridge
                                 network of each learner's own (the default). It costs: only the
                                 first learner's stack can publish its ports (they all want
                                 127.0.0.1:9200 …), every learner reaches every other learner's
                                 Elasticsearch, Kibana, MLflow and adminer, and the engines run
                                 without a bridge, so image builds get no network. For a machine
                                 whose Docker engine has no bridge networks.
             --team-stack        also run a class server: one MLflow server (with its
                                 PostgreSQL) and one S3 storage for the whole class, which
                                 every learner's "Work as a team" chapter uses as the team's
                                 (compose/class-server.yml); each learner's own stack stays
                                 theirs for the chapters before. No accounts on it: every
                                 learner can read and change everything in it
             --image NAME        run this workspace image instead of building one
  status   each learner, their workspace's state and their progress   [--json]
  down     stops the hub, every workspace and the class server; --volumes also removes the
           learners' volumes, the class server's runs and objects, and the hub's state
           (accounts, progress)
  build    builds the workspace image only (if missing, or with --rebuild)

  Every command takes --state DIR (default .state/workshop) and --name NAME (default
  tutorial-workshop: the containers' and volumes' prefix and label).`;

const OPTIONS = {
  learners: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  'i-understand-this-is-public': { type: 'boolean', default: false },
  'mem-limit': { type: 'string', default: '2G' },
  'engine-mem-limit': { type: 'string', default: '7G' },
  'no-engine': { type: 'boolean', default: false },
  engine: { type: 'string', default: 'rootless' },
  'no-image-seed': { type: 'boolean', default: false },
  'cull-timeout': { type: 'string', default: '3600' },
  'cull-every': { type: 'string' },
  'host-network': { type: 'boolean', default: false },
  'team-stack': { type: 'boolean', default: false },
  image: { type: 'string' },
  state: { type: 'string' },
  name: { type: 'string', default: 'tutorial-workshop' },
  volumes: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  rebuild: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Runs the CLI with these arguments; returns the exit status. */
export async function main(argv: string[], out: Out = toStdout, err: Out = toStderr): Promise<number> {
  const parsed = parseOrExplain(() => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }), USAGE, err);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    (values.help ? out : err)(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (positionals.length > 1 || !['up', 'status', 'down', 'build'].includes(command)) {
    err(`Unknown command "${positionals.join(' ')}".\n${USAGE}\n`);
    return 2;
  }
  const stateDir = resolve(values.state ?? defaultWorkshopState());
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(values.name)) {
    err(`"${values.name}" cannot name containers: use lower-case letters, digits, "-", "_" and ".".\n`);
    return 2;
  }
  if (command === 'up' && !LOOPBACK.has(values.host) && !values['i-understand-this-is-public']) {
    err(
      `--host ${values.host} lets other machines reach the hub's login page. Learners' passwords are then all that stands between the network and a shell in each workspace. Put HTTPS in front (docs/workshop.md) and add --i-understand-this-is-public to go on.\n`,
    );
    return 2;
  }
  if (values.engine !== 'rootless' && values.engine !== 'privileged') {
    err(`--engine takes rootless or privileged, not "${values.engine}" (docs/workshop.md says what each keeps apart).\n`);
    return 2;
  }
  if ((await run('docker', ['info', '--format', '{{.ServerVersion}}'])).code !== 0) {
    err('No Docker engine answers (`docker info` failed). Start Docker, then run this again.\n');
    return 1;
  }
  try {
    if (command === 'build') return await build(values, out, err);
    if (command === 'up') return await up(values, stateDir, out, err);
    if (command === 'status') return await status(values, stateDir, out, err);
    return await down(values, stateDir, out, err);
  } catch (e) {
    err(`${(e as Error).message}\n`);
    return 1;
  }
}

async function ensureImage(values: Values, out: Out, logDir: string): Promise<string> {
  if (values.image) {
    if (!(await imageExists(values.image))) throw new Error(`There is no image ${values.image} on this Docker engine.`);
    return values.image;
  }
  for (const note of vendorFromMachine()) out(`Workspace image: ${note}.\n`);
  const tag = imageTag();
  if (!values.rebuild && (await imageExists(tag))) return tag;
  if (!(await imageExists(BASE_IMAGE))) {
    out(`The base image ${BASE_IMAGE} is not here yet; the build pulls it.\n`);
  }
  ensurePrivateDir(logDir);
  const log = join(logDir, 'image-build.log');
  out(`Building the workspace image ${tag} (the first time takes several minutes; log: ${log})…\n`);
  let seconds: number;
  try {
    seconds = await buildImage(tag, log);
  } catch (e) {
    const text = (e as Error).message;
    const hint = /pull access denied|failed to resolve|connection refused|no such host|i\/o timeout|TLS handshake/i.test(text)
      ? `\nThe base image ${BASE_IMAGE} could not be pulled. Where no registry is reachable, make a local stand-in first: bash tests/services/debian-base.sh ${BASE_IMAGE}`
      : '';
    throw new Error(`${text}${hint}`);
  }
  out(`Built ${tag} in ${seconds} s.\n`);
  // Older builds go, unless a container (running or stopped) still uses them: Docker refuses then.
  const older = await run('docker', ['images', IMAGE_REPOSITORY, '--format', '{{.Repository}}:{{.Tag}}']);
  for (const old of older.stdout.split('\n').filter((t) => t && t !== tag && !t.endsWith(':<none>'))) {
    if ((await run('docker', ['image', 'rm', old])).code === 0) out(`Removed the older workspace image ${old}.\n`);
  }
  return tag;
}

async function build(values: Values, out: Out, _err: Out): Promise<number> {
  const tag = await ensureImage(values, out, resolve(values.state ?? defaultWorkshopState()));
  out(`${tag}\n`);
  return 0;
}

function loadState(stateDir: string): WorkshopState | undefined {
  return readJson(join(stateDir, 'workshop.json'), WorkshopStateSchema);
}

function printAccounts(out: Out, url: string, stateDir: string): void {
  const accounts = accountsFor(stateDir, 0);
  out('Learners log in there with:\n');
  for (const a of accounts.learners) out(`  ${a.name} ${a.password}\n`);
  out(`Instructor (admin; the class's progress is at ${url}services/progress/):\n`);
  out(`  ${accounts.instructor.name} ${accounts.instructor.password}\n`);
}

async function up(values: Values, stateDir: string, out: Out, err: Out): Promise<number> {
  const learners = Number(values.learners ?? 3);
  if (!Number.isInteger(learners) || learners < 1 || learners > 500) {
    err(`--learners takes a number from 1 to 500, not "${values.learners}".\n`);
    return 2;
  }
  const cull = Number(values['cull-timeout']);
  if (!Number.isInteger(cull) || cull < 1) {
    err(`--cull-timeout takes a number of seconds, not "${values['cull-timeout']}".\n`);
    return 2;
  }
  const host = values.host;
  const port = values.port === undefined ? await freePort(LOOPBACK.has(host) ? '127.0.0.1' : host) : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    err(`"${values.port}" is not a port number. Pass one from 1 to 65535, e.g. --port 8000.\n`);
    return 2;
  }
  ensurePrivateDir(stateDir);
  const running = loadState(stateDir);
  if (running && alive(running.pid)) {
    out(`The workshop hub already runs at ${running.url} (pid ${running.pid}); \`npm run workshop -- down\` stops it.\n`);
    if (values['team-stack'] && !running.team) {
      err('It runs without a class server: `npm run workshop -- down`, then `up --team-stack`, starts one (learners keep their files).\n');
    }
    printAccounts(out, running.url, stateDir);
    return 0;
  }
  if (!LOOPBACK.has(host)) {
    err(`Warning: the hub listens on ${host}:${port}; anyone who reaches it sees the login page.\n`);
  }
  if (values.engine === 'privileged' && !values['no-engine']) {
    err(
      "Warning: --engine privileged runs each learner's Docker engine as root in a privileged container: a learner who runs `docker run --privileged` and mounts the host's disk in it reads and writes this machine's disks, the hub's secrets and every other learner's files.\n",
    );
  }
  const network = values['host-network'] ? 'host' : 'learners';
  const subnetPool = process.env.WORKSHOP_SUBNET_POOL ?? DEFAULT_SUBNET_POOL;
  const connectIp = network === 'host' ? undefined : await dockerNetworkGateway(`${values.name}-hub`, values.name, subnetPool, out);
  const image = await ensureImage(values, out, stateDir);
  const team = values['team-stack'] ? await startTeamStack(values.name, out) : undefined;
  const venv = await ensureHubVenv((s) => out(`${s}\n`));
  const chp = await ensureProxy((s) => out(`${s}\n`));
  accountsFor(stateDir, learners);
  const cliToken = randomBytes(24).toString('hex');
  const engine = !values['no-engine'];
  const seed = engine && !values['no-image-seed'] ? await ensureSeed((s) => out(`${s}\n`)) : undefined;
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${displayHost}:${port}/`;
  const env: Record<string, string> = {
    WORKSHOP_NAME: values.name,
    WORKSHOP_STATE: stateDir,
    WORKSHOP_HOST: host,
    WORKSHOP_PORT: String(port),
    WORKSHOP_HUB_PORT: String(await freePort()),
    WORKSHOP_PROXY_API_PORT: String(await freePort()),
    WORKSHOP_PROGRESS_PORT: String(await freePort()),
    ...(connectIp ? { WORKSHOP_HUB_CONNECT_IP: connectIp } : {}),
    WORKSHOP_IMAGE: image,
    WORKSHOP_PULL_POLICY: values.image ? 'ifnotpresent' : 'never',
    WORKSHOP_NETWORK: network,
    WORKSHOP_SUBNET_POOL: subnetPool,
    WORKSHOP_ENGINE: engine ? '1' : '0',
    WORKSHOP_ENGINE_MODE: values.engine,
    ...(seed ? { WORKSHOP_ENGINE_SEED: seed.dir } : {}),
    WORKSHOP_MEM_LIMIT: values['mem-limit'],
    WORKSHOP_ENGINE_MEM_LIMIT: values['engine-mem-limit'],
    WORKSHOP_CULL_TIMEOUT: String(cull),
    ...(values['cull-every'] ? { WORKSHOP_CULL_EVERY: values['cull-every'] } : {}),
    WORKSHOP_CHP: chp,
    WORKSHOP_LEARNERS: join(stateDir, 'learners.json'),
    WORKSHOP_CLI_TOKEN: cliToken,
    ...(team ? teamEnv(team, network) : {}),
  };
  const pid = startHub({ venv, stateDir, env });
  const state: WorkshopState = {
    name: values.name,
    host,
    port,
    url,
    image,
    network,
    engine,
    pid,
    cliToken,
    startedAt: new Date().toISOString(),
    ...(team ? { team: { project: team.project, mlflowUrl: team.mlflowUrl, s3Url: team.s3Url } } : {}),
  };
  writePrivate(join(stateDir, 'workshop.json'), `${JSON.stringify(state, null, 2)}\n`);
  out(`Starting JupyterHub (pid ${pid}, log ${join(stateDir, 'hub.log')})…\n`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (!alive(pid)) {
      err(`JupyterHub stopped while starting. The end of its log:\n${hubLogTail(stateDir)}\n`);
      return 1;
    }
    const ok = await fetch(`http://127.0.0.1:${port}/hub/api/`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok && (await progressService(state)) !== undefined) break;
    if (Date.now() > deadline) {
      err(`JupyterHub did not answer on port ${port} within 3 minutes. The end of its log:\n${hubLogTail(stateDir)}\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  out(`\nThe workshop hub is ready at ${url}\n`);
  out(
    `Workspaces: ${image}, ${values['mem-limit']} each${engine ? `, each with its own ${values.engine} Docker engine (${values['engine-mem-limit']})` : ''}; idle ones stop after ${cull} s.\n`,
  );
  if (team) {
    const inside = teamUrls(team, network);
    out(
      `Class server ("Work as a team"): MLflow ${team.mlflowUrl}/ and S3 storage ${team.s3Url} here; learners reach them at ${inside.mlflow} and ${inside.s3}.\n`,
    );
  }
  printAccounts(out, url, stateDir);
  out('Stop everything with: npm run workshop -- down\n');
  return 0;
}

async function status(values: Values, stateDir: string, out: Out, err: Out): Promise<number> {
  const state = loadState(stateDir);
  const left = await containers(state?.name ?? values.name);
  if (!state || !alive(state.pid)) {
    if (values.json) out(`${JSON.stringify({ hub: 'stopped', containers: left }, null, 2)}\n`);
    else {
      out(`The workshop hub is not running (state folder ${stateDir}).\n`);
      for (const c of left) out(`  container ${c.name} (${c.state}) is left; \`npm run workshop -- down\` removes it\n`);
    }
    return 0;
  }
  const learners = await progressService(state);
  if (!learners) {
    err(`The hub runs (pid ${state.pid}) but its progress service does not answer yet. The end of its log:\n${hubLogTail(stateDir, 10)}\n`);
    return 1;
  }
  if (values.json) {
    out(`${JSON.stringify({ hub: 'running', url: state.url, pid: state.pid, image: state.image, learners, containers: left }, null, 2)}\n`);
    return 0;
  }
  out(`hub: running at ${state.url} (pid ${state.pid}), workspace image ${state.image}\n`);
  if (state.team)
    out(`class server: MLflow ${state.team.mlflowUrl}/, S3 storage ${state.team.s3Url} (Compose project ${state.team.project})\n`);
  const rows = learners.map((l) => {
    const chapters = l.chapters
      .filter((c) => c.passed.length > 0)
      .map((c) => `${c.id} ${c.passed.length}/${c.steps} (${c.passed.join(', ')})`)
      .join('; ');
    return [l.name, l.server, `${l.passed}/${l.steps || '?'}`, chapters || '-'];
  });
  const head = ['learner', 'workspace', 'passed', 'chapters'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [head, ...rows]) out(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`);
  return 0;
}

async function down(values: Values, stateDir: string, out: Out, err: Out): Promise<number> {
  const state = loadState(stateDir);
  const name = state?.name ?? values.name;
  if (state && alive(state.pid)) {
    out(`Stopping the hub (pid ${state.pid}) and every workspace…\n`);
    // The hub runs in its own session: its process group holds the proxy and the services too.
    // SIGTERM lets it stop the workspaces first (cleanup_servers).
    process.kill(-state.pid, 'SIGTERM');
    const deadline = Date.now() + 90_000;
    while (alive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(state.pid)) {
      err('The hub did not stop within 90 s; killing it.\n');
      process.kill(-state.pid, 'SIGKILL');
    }
  }
  if (state) writePrivate(join(stateDir, 'workshop.json'), `${JSON.stringify({ ...state, pid: 0 }, null, 2)}\n`);
  // The class server first: its containers sit on the learners' networks removed below.
  let failed = await stopTeamStack(name, values.volumes, out, err);
  for (const c of await containers(name)) {
    const r = await run('docker', ['rm', '-f', c.name]);
    if (r.code === 0) out(`removed container ${c.name}\n`);
    else {
      failed++;
      err(`could not remove container ${c.name}: ${r.stderr.trim()}\n`);
    }
  }
  failed += await removeNetworks(name, out, err);
  if (values.volumes) {
    const vols = await run('docker', ['volume', 'ls', '-q', '--filter', `label=tutorial.workshop=${name}`]);
    for (const v of vols.stdout.split('\n').filter(Boolean)) {
      const r = await run('docker', ['volume', 'rm', v]);
      if (r.code === 0) out(`removed volume ${v}\n`);
      else {
        failed++;
        err(`could not remove volume ${v}: ${r.stderr.trim()}\n`);
      }
    }
    rmSync(stateDir, { recursive: true, force: true });
    out(`removed the hub's state (accounts, progress) in ${stateDir}\n`);
  } else {
    out("The learners' volumes are kept (their files and progress); add --volumes to remove them.\n");
  }
  return failed ? 1 : 0;
}

runIfMain(import.meta.url, main);
