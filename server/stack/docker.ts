import type Docker from 'dockerode';
import { errorCode, isAbort, seconds } from '../words.ts';
import type { Endpoints } from './endpoints.ts';

/**
 * The one module that talks to the Docker Engine API (through dockerode). Everything else asks
 * here, so the engine's quirks (multiplexed log streams, label filters, unreachable sockets) are
 * handled in one place.
 */

/** Where the Docker engine is: endpoints.docker (a socket path or a tcp:// host), else DOCKER_HOST, else the default socket. */
export type DockerAddress = Endpoints['docker'];

/** How long a ping may take before Docker counts as not running. */
export const PING_TIMEOUT_MS = 2000;

let dockerode: Promise<typeof Docker> | undefined;

/**
 * A client for the engine at `address`. dockerode is loaded on the first use, not at start: with
 * its gRPC and SSH parts it is about 30 MB of the server's memory, which an idle server (no page
 * open, no check of a container) does without.
 */
async function client(address: DockerAddress): Promise<Docker> {
  dockerode ??= import('dockerode').then((m) => m.default);
  const Dockerode = await dockerode;
  if (address.socketPath) return new Dockerode({ socketPath: address.socketPath });
  if (address.host) {
    const u = new URL(address.host.replace(/^tcp:/, 'http:'));
    return new Dockerode({ host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol === 'https:' ? 'https' : 'http' });
  }
  const env = process.env.DOCKER_HOST;
  if (env?.startsWith('unix://')) return new Dockerode({ socketPath: env.slice('unix://'.length) });
  if (env) return client({ host: env });
  return new Dockerode({ socketPath: '/var/run/docker.sock' });
}

/** The engine's address as the docker CLI writes it: unix:///var/run/docker.sock. */
export function describeDocker(address: DockerAddress): string {
  if (address.socketPath) return `unix://${address.socketPath}`;
  return address.host ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Whether the engine answered a ping; when not, why, in the docker CLI's own words. */
export type DockerReach =
  | { ok: true; version?: string }
  | {
      ok: false;
      reason: 'not-running' | 'permission' | 'no-answer';
      /** A full sentence for a learner. */
      message: string;
      /** What the docker CLI would print, for evidence and diagnosis. */
      detail: string;
    };

/**
 * Pings the engine with a short deadline, so a missing daemon, a socket nobody serves and a
 * socket that accepts but never answers all fail fast instead of hanging a check.
 */
export async function pingDocker(address: DockerAddress, signal?: AbortSignal, timeoutMs = PING_TIMEOUT_MS): Promise<DockerReach> {
  const where = describeDocker(address);
  const deadline = AbortSignal.timeout(timeoutMs);
  const abortSignal = signal ? AbortSignal.any([deadline, signal]) : deadline;
  try {
    // @types/dockerode does not declare the options argument that dockerode 5 accepts.
    const docker = (await client(address)) as unknown as { ping(opts: { abortSignal: AbortSignal }): Promise<unknown> };
    await docker.ping({ abortSignal });
    return { ok: true };
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        ok: false,
        reason: 'permission',
        message: `Docker is running, but this user may not use it: permission denied on ${where}.`,
        detail: `permission denied while trying to connect to the Docker daemon socket at ${where}`,
      };
    }
    if (isAbort(err) || abortSignal.aborted) {
      return {
        ok: false,
        reason: 'no-answer',
        message: `Docker is not running: the engine at ${where} did not answer within ${seconds(timeoutMs)}.`,
        detail: `Cannot connect to the Docker daemon at ${where}. Is the docker daemon running? (no answer within ${seconds(timeoutMs)})`,
      };
    }
    return {
      ok: false,
      reason: 'not-running',
      message: `Docker is not running: nothing answers at ${where}.`,
      detail: `Cannot connect to the Docker daemon at ${where}. Is the docker daemon running? (${code ?? (err as Error).message})`,
    };
  }
}

/** What the engine says about its machine (`docker info`), as far as the preflight needs it. */
export interface EngineInfo {
  /** Memory of the machine the containers run on, in bytes: the host's, or Docker Desktop's VM's. */
  memTotal: number;
  /** "Docker Desktop", or the host's distribution ("Debian GNU/Linux 12 (bookworm)"). */
  operatingSystem: string;
  /** CPUs of that machine. */
  cpus: number;
}

/** `docker info` through the API, with a short deadline; undefined when the engine does not answer. */
export async function engineInfo(
  address: DockerAddress,
  signal?: AbortSignal,
  timeoutMs = PING_TIMEOUT_MS,
): Promise<EngineInfo | undefined> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const abortSignal = signal ? AbortSignal.any([deadline, signal]) : deadline;
  try {
    // @types/dockerode does not declare the options argument that dockerode 5 accepts.
    const docker = (await client(address)) as unknown as { info(opts: { abortSignal: AbortSignal }): Promise<Record<string, unknown>> };
    const i = await docker.info({ abortSignal });
    if (typeof i.MemTotal !== 'number' || i.MemTotal <= 0) return undefined;
    return { memTotal: i.MemTotal, operatingSystem: String(i.OperatingSystem ?? ''), cpus: Number(i.NCPU ?? 0) };
  } catch {
    return undefined;
  }
}

/** What a check needs to know about one container. */
export interface ContainerInfo {
  id: string;
  /** The container's name without the leading slash: dstack-elasticsearch-1. */
  name: string;
  /** running, exited, created, restarting, paused, dead. */
  state: string;
  exitCode: number;
  /** The healthcheck's status, or "none" without a healthcheck. */
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  /** The last output of the healthcheck, when it has one. */
  healthLog?: string;
  oomKilled: boolean;
  restartCount: number;
  /** The engine's own error for a container that could not start. */
  error?: string;
  tty: boolean;
}

/** Labels Docker Compose puts on what it creates. */
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** The containers (running or not) of one compose service, newest first, inspected. */
export async function findServiceContainers(
  address: DockerAddress,
  project: string,
  service: string,
  signal?: AbortSignal,
): Promise<ContainerInfo[]> {
  const docker = await client(address);
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`, `${COMPOSE_SERVICE_LABEL}=${service}`] },
    abortSignal: signal,
  } as Docker.ContainerListOptions);
  list.sort((a, b) => b.Created - a.Created);
  const out: ContainerInfo[] = [];
  for (const c of list) {
    const i = await docker.getContainer(c.Id).inspect({ abortSignal: signal } as object);
    const h = i.State.Health;
    const lastProbe = h?.Log?.at(-1);
    out.push({
      id: i.Id,
      name: i.Name.replace(/^\//, ''),
      state: i.State.Status,
      exitCode: i.State.ExitCode,
      health: (h?.Status as ContainerInfo['health'] | undefined) ?? 'none',
      healthLog: lastProbe ? `exit ${lastProbe.ExitCode}: ${lastProbe.Output.trim()}` : undefined,
      oomKilled: i.State.OOMKilled,
      restartCount: i.RestartCount,
      error: i.State.Error || undefined,
      tty: i.Config.Tty,
    });
  }
  return out;
}

/** The last `tail` lines of a container's logs (stdout and stderr together), as text. */
export async function containerLogs(address: DockerAddress, id: string, tail: number, tty: boolean, signal?: AbortSignal): Promise<string> {
  const raw = (await (await client(address)).getContainer(id).logs({
    stdout: true,
    stderr: true,
    tail,
    follow: false,
    abortSignal: signal,
  } as Docker.ContainerLogsOptions & {
    follow: false;
  })) as unknown as Buffer;
  return tty ? raw.toString('utf8') : demux(raw);
}

/**
 * Joins the frames of a non-TTY log stream: each frame is an 8-byte header (stream type, three
 * zero bytes, a big-endian length) followed by that many bytes.
 */
export function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const len = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + len));
    at += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Everything of one compose project, found by its label. */
export interface ProjectResources {
  containers: { id: string; name: string; state: string }[];
  networks: { id: string; name: string }[];
  volumes: { name: string }[];
}

/** Lists the containers, networks and volumes labelled with the compose project. */
export async function listProjectResources(address: DockerAddress, project: string): Promise<ProjectResources> {
  const docker = await client(address);
  const label = [`${COMPOSE_PROJECT_LABEL}=${project}`];
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters: { label } }),
    docker.listNetworks({ filters: { label } }),
    docker.listVolumes({ filters: { label } }),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), state: c.State })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name })),
    volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name })),
  };
}

/**
 * Removes what `listProjectResources` found: containers first (forced, with their anonymous
 * volumes), then networks, then (only when asked) named volumes. Returns what could not be
 * removed, with the engine's reason.
 */
export async function removeProjectResources(
  address: DockerAddress,
  found: ProjectResources,
  opts: { volumes: boolean },
): Promise<{ removed: string[]; failed: { what: string; reason: string }[] }> {
  const docker = await client(address);
  const removed: string[] = [];
  const failed: { what: string; reason: string }[] = [];
  const attempt = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
      removed.push(what);
    } catch (err) {
      failed.push({ what, reason: (err as Error).message });
    }
  };
  for (const c of found.containers) await attempt(`container ${c.name}`, () => docker.getContainer(c.id).remove({ force: true, v: true }));
  for (const n of found.networks) await attempt(`network ${n.name}`, () => docker.getNetwork(n.id).remove());
  if (opts.volumes) for (const v of found.volumes) await attempt(`volume ${v.name}`, () => docker.getVolume(v.name).remove());
  return { removed, failed };
}
