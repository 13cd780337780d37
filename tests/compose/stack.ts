import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, pollUntil } from '../helpers/net.ts';

/**
 * The compose tier's machinery, shared with bench/stack-memory.ts: the real
 * compose/docker-compose.yml with tests/compose/override.yml on top, under a compose project of
 * its own (never the learner's `dstack`), with host ports of its own (the file's own ES_PORT,
 * MLFLOW_PORT, ... variables), the services' state from Docker and their memory from their cgroups.
 */

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, '../..');
export const REAL_FILE = join(ROOT, 'compose', 'docker-compose.yml');
export const OVERRIDE_FILE = join(ROOT, 'tests', 'compose', 'override.yml');
/** The tests' own busybox image (tests/services/docker-image.sh makes it). */
export const BUSYBOX_IMAGE = process.env.TEST_DOCKER_IMAGE ?? 'tutorial-test/busybox:1';

/** compose/.env as KEY → value (KEY=VALUE lines, # comments; no quotes are used there). */
export function composeEnv(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'compose', '.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

/** The base images the tier builds on or runs, by the names pinned in compose/.env. */
export function pinnedImages(): { python: string; postgres: string } {
  const env = composeEnv();
  return { python: `python:${env.PYTHON_IMAGE_TAG}`, postgres: env.POSTGRES_IMAGE! };
}

/**
 * Every image the compose file pulls or builds FROM, by the names compose/.env gives them: on this
 * machine each is a stand-in (tests/services/stack-images.sh, debian-base.sh, postgres-image.sh).
 */
export function stackImages(): Record<string, string> {
  const env = composeEnv();
  return {
    elasticsearch: `docker.elastic.co/elasticsearch/elasticsearch:${env.ELASTIC_VERSION}`,
    kibana: `docker.elastic.co/kibana/kibana:${env.ELASTIC_VERSION}`,
    'fluentd (base of its build)': `fluent/fluentd:${env.FLUENTD_IMAGE_TAG}`,
    postgres: env.POSTGRES_IMAGE!,
    'mlflow (base of its build)': `python:${env.PYTHON_IMAGE_TAG}`,
    adminer: env.ADMINER_IMAGE!,
    seaweedfs: env.SEAWEEDFS_IMAGE!,
  };
}

/**
 * Compose builds with Docker's classic builder here. This machine's dockerd has no default bridge
 * (--bridge=none), and BuildKit runs a build step of the real file (no `build.network`) on that
 * bridge: "network bridge not found". The classic builder runs such a step without a network,
 * and its cache does not depend on the build's network, so the layers that tests/compose/override.yml
 * builds with the host's network (pip reaching PyPI) answer the learner's unchanged file, as
 * a machine with a registry and a default bridge would build it. The self-test sets it too.
 */
export const CLASSIC_BUILDER = { DOCKER_BUILDKIT: '0' } as const;

/** The host-port variables of compose/.env, one per published port. */
export const PORT_VARIABLES = [
  'ES_PORT',
  'KIBANA_PORT',
  'FLUENTD_PORT',
  'FLUENTD_MONITOR_PORT',
  'MLFLOW_PORT',
  'ADMINER_PORT',
  'S3_PORT',
] as const;
export type PortVariable = (typeof PORT_VARIABLES)[number];

/** The `# REPLACES:` lines of an override file: what it replaces in the real file, one line each. */
export function replacements(file = OVERRIDE_FILE): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*# REPLACES: (.+)$/gm)].map((m) => m[1]!);
}

/** Whether an image is here, and if it is one of this project's stand-ins, what its label says. */
export async function imageKind(name: string): Promise<{ present: boolean; standIn?: string }> {
  try {
    const { stdout } = await run('docker', ['image', 'inspect', '-f', '{{index .Config.Labels "tutorial.stand-in"}}', name]);
    const label = stdout.trim();
    return label && label !== '<no value>' ? { present: true, standIn: label } : { present: true };
  } catch {
    return { present: false };
  }
}

export interface ContainerState {
  id: string;
  name: string;
  status: string;
  health: string | undefined;
  exitCode: number;
  oomKilled: boolean;
  restartCount: number;
  pid: number;
  memoryLimit: number;
  mounts: { name?: string; destination: string }[];
  /** The networks the container is attached to, by name. */
  networks: string[];
}

/**
 * One compose project of the real file plus overrides, with the environment it interpolates: a
 * free host port for each of the file's port variables (the real file publishes on
 * 127.0.0.1:${ES_PORT} and so on, as for a learner who moved a port in compose/.env).
 */
export class TierStack {
  readonly project: string;
  readonly files: string[];
  readonly env: NodeJS.ProcessEnv;
  /** The published host ports, by compose/.env variable. */
  readonly ports: Record<PortVariable, number>;

  private constructor(ports: Record<PortVariable, number>, opts: { extraFiles?: string[]; project?: string }) {
    this.ports = ports;
    this.project = opts.project ?? `dstack-tier-${randomBytes(3).toString('hex')}`;
    this.files = [REAL_FILE, OVERRIDE_FILE, ...(opts.extraFiles ?? [])];
    this.env = {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      ...CLASSIC_BUILDER,
    };
    delete this.env.COMPOSE_FILE;
    delete this.env.COMPOSE_PROJECT_NAME;
  }

  /** MLflow's published port on 127.0.0.1 (MLFLOW_PORT). */
  get port(): number {
    return this.ports.MLFLOW_PORT;
  }

  /** Takes a free host port for each published port, then names the project. */
  static async create(opts: { extraFiles?: string[]; project?: string } = {}): Promise<TierStack> {
    const ports = {} as Record<PortVariable, number>;
    for (const v of PORT_VARIABLES) ports[v] = await freePort();
    return new TierStack(ports, opts);
  }

  /** `docker compose -p <project> -f <real> -f <override>... <args>`; rejects with the output on failure. */
  async compose(args: string[], timeoutMs = 600_000): Promise<{ stdout: string; stderr: string }> {
    const full = ['compose', '-p', this.project, ...this.files.flatMap((f) => ['-f', f]), ...args];
    try {
      return await run('docker', full, { env: this.env, cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`docker ${full.join(' ')} failed: ${e.message}\n${tail(e.stdout)}\n${tail(e.stderr)}`);
    }
  }

  /** The resolved configuration (`docker compose config --format json`) of the given files. */
  async config(files = this.files): Promise<ResolvedConfig> {
    const args = ['compose', '-p', this.project, ...files.flatMap((f) => ['-f', f]), 'config', '--format', 'json'];
    const { stdout } = await run('docker', args, { env: this.env, cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as ResolvedConfig;
  }

  /** The state of a service's container, as Docker reports it. */
  async state(service: string): Promise<ContainerState> {
    const { stdout: ids } = await run('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
      '--filter',
      `label=com.docker.compose.service=${service}`,
    ]);
    const id = ids.trim().split('\n')[0];
    if (!id) throw new Error(`The compose project ${this.project} has no container for ${service}.`);
    const { stdout } = await run('docker', ['inspect', id]);
    const c = (JSON.parse(stdout) as DockerInspect[])[0]!;
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      status: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
      oomKilled: c.State.OOMKilled,
      restartCount: c.RestartCount,
      pid: c.State.Pid,
      memoryLimit: c.HostConfig.Memory,
      mounts: c.Mounts.map((m) => ({ name: m.Name, destination: m.Destination })),
      networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    };
  }

  /**
   * Waits until Docker's healthcheck (the compose file's own) says healthy. Fails at once when
   * the container stops or Docker says unhealthy, so no deadline has to be guessed; the last one
   * only guards against a hang.
   */
  async healthy(service: string, guardMs = 600_000): Promise<ContainerState> {
    return pollUntil(
      async () => {
        const s = await this.state(service);
        if (s.status === 'exited' || s.status === 'dead' || s.health === 'unhealthy' || s.restartCount > 0) {
          throw new Error(`${service} did not become healthy: ${describeState(s)}.\n${await this.logs(service)}`);
        }
        return s.health === 'healthy' ? s : undefined;
      },
      `${service} to become healthy`,
      guardMs,
      500,
    );
  }

  /** The last lines a service logged. */
  async logs(service: string, lines = 40): Promise<string> {
    try {
      const { stdout, stderr } = await this.compose(['logs', '--no-color', '--tail', String(lines), service], 30_000);
      return `${service} logs:\n${stdout}${stderr}`;
    } catch (err) {
      return `${service} logs could not be read: ${(err as Error).message}`;
    }
  }

  /** Removes the project's containers, networks and volumes (not images). */
  async down(): Promise<void> {
    await this.compose(['down', '--volumes', '--remove-orphans', '--timeout', '10'], 120_000);
  }
}

export interface ResolvedConfig {
  name: string;
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
}

interface DockerInspect {
  Id: string;
  Name: string;
  RestartCount: number;
  State: { Status: string; ExitCode: number; OOMKilled: boolean; Pid: number; Health?: { Status: string } };
  HostConfig: { Memory: number };
  Mounts: { Name?: string; Destination: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

export function describeState(s: ContainerState): string {
  return `${s.status}${s.health ? ` (${s.health})` : ''}, exit code ${s.exitCode}, OOMKilled ${s.oomKilled}, restarted ${s.restartCount} times`;
}

function tail(text: string | undefined, lines = 30): string {
  return (text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * The keys in which two resolved configurations of one service differ, as dotted paths
 * (`network_mode`, `build.network`, `ports`): what an override really replaced.
 */
export function differences(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(a) || !isObject(b)) return [path];
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  return [...new Set([...Object.keys(ao), ...Object.keys(bo)])].flatMap((k) => differences(ao[k], bo[k], path ? `${path}.${k}` : k));
}

/** A container's memory as its cgroup counts it (v1 or v2), in bytes. */
export interface MemoryReading {
  /** Memory charged now, page cache included. */
  usage: number;
  /** `usage` minus inactive file pages: what `docker stats` shows. */
  workingSet: number;
  /**
   * Anonymous and shared memory (v1 total_rss + total_shmem, v2 anon + shmem): what the kernel
   * cannot give back without swap, so what has to fit under the limit for the container to live.
   */
  anon: number;
  /** The kernel's high-water mark of `usage` since the cgroup was made (v1 max_usage_in_bytes, v2 memory.peak). */
  kernelPeak: number | undefined;
  /** How often the cgroup hit its limit (v1 failcnt, v2 memory.events `max`). */
  hitLimit: number | undefined;
}

/** The memory cgroup directory of a process, from /proc/<pid>/cgroup (needs the engine's host). */
export function memoryCgroup(pid: number): { dir: string; version: 1 | 2 } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(text);
  if (v1 && existsSync(`/sys/fs/cgroup/memory${v1[1]}`)) return { dir: `/sys/fs/cgroup/memory${v1[1]}`, version: 1 };
  const v2 = /^0::(.*)$/m.exec(text);
  if (v2 && existsSync(`/sys/fs/cgroup${v2[1]}/memory.current`)) return { dir: `/sys/fs/cgroup${v2[1]}`, version: 2 };
  return undefined;
}

export function readMemory(cg: { dir: string; version: 1 | 2 }): MemoryReading {
  const num = (file: string) => {
    try {
      return Number(readFileSync(join(cg.dir, file), 'utf8').trim());
    } catch {
      return undefined;
    }
  };
  const stat = (key: string) => {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(join(cg.dir, 'memory.stat'), 'utf8'));
    return m ? Number(m[1]) : 0;
  };
  if (cg.version === 1) {
    const usage = num('memory.usage_in_bytes')!;
    return {
      usage,
      workingSet: usage - stat('total_inactive_file'),
      anon: stat('total_rss') + stat('total_shmem'),
      kernelPeak: num('memory.max_usage_in_bytes'),
      hitLimit: num('memory.failcnt'),
    };
  }
  const usage = num('memory.current')!;
  const events = readFileSync(join(cg.dir, 'memory.events'), 'utf8');
  return {
    usage,
    workingSet: usage - stat('inactive_file'),
    anon: stat('anon') + stat('shmem'),
    kernelPeak: num('memory.peak'),
    hitLimit: Number(/^max (\d+)$/m.exec(events)?.[1] ?? 0),
  };
}

/** Peak memory of each service's container over a series of samples. */
export class PeakTracker {
  private readonly peaks = new Map<
    string,
    { workingSet: number; anon: number; last: MemoryReading; limit: number; samples: number; how: string }
  >();

  /** Takes one sample of `state`'s container; returns false when its cgroup cannot be read here. */
  sample(service: string, state: ContainerState): boolean {
    const cg = memoryCgroup(state.pid);
    if (!cg) return false;
    const r = readMemory(cg);
    const p = this.peaks.get(service);
    this.peaks.set(service, {
      workingSet: Math.max(p?.workingSet ?? 0, r.workingSet),
      anon: Math.max(p?.anon ?? 0, r.anon),
      last: r,
      limit: state.memoryLimit,
      samples: (p?.samples ?? 0) + 1,
      how: `cgroup v${cg.version}`,
    });
    return true;
  }

  results(): {
    service: string;
    limit: number;
    peakAnon: number;
    peakWorkingSet: number;
    kernelPeak: number | undefined;
    hitLimit: number | undefined;
    samples: number;
    how: string;
  }[] {
    return [...this.peaks].map(([service, p]) => ({
      service,
      limit: p.limit,
      peakAnon: p.anon,
      peakWorkingSet: p.workingSet,
      kernelPeak: p.last.kernelPeak,
      hitLimit: p.last.hitLimit,
      samples: p.samples,
      how: p.how,
    }));
  }
}

/** Samples the memory of services' containers every second in the background, into a PeakTracker. */
export class MemorySampler {
  readonly peaks = new PeakTracker();
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly stack: TierStack,
    private readonly services: readonly string[],
  ) {}

  /** One sample of every service now (a container that is not running is skipped). */
  async sample(): Promise<void> {
    for (const service of this.services) {
      try {
        const s = await this.stack.state(service);
        if (s.status === 'running' && !this.peaks.sample(service, s)) this.errors.push(`the cgroup of ${service} cannot be read here`);
      } catch (err) {
        this.errors.push((err as Error).message);
      }
    }
  }

  start(): void {
    let busy = false;
    // A sample of six containers can take longer than a second on a busy machine: skip a tick
    // then instead of queueing samples behind each other.
    this.timer ??= setInterval(() => {
      if (busy) return;
      busy = true;
      this.pending = this.pending.then(() => this.sample()).finally(() => (busy = false));
    }, 1000);
  }

  /** Stops sampling after a last sample, and returns the peaks. */
  async stop(): Promise<ReturnType<PeakTracker['results']>> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pending;
    await this.sample();
    return this.peaks.results();
  }
}

/** Runs workspace/mlflow/simple.py against MLflow on 127.0.0.1:port; returns its output and run id. */
export async function runSimple(python: string, port: number, cwd: string, marker: string): Promise<{ stdout: string; runId: string }> {
  const { stdout } = await run(python, [join(ROOT, 'workspace', 'mlflow', 'simple.py')], {
    cwd,
    env: { ...process.env, MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`, TUTORIAL_MARKER: marker },
    timeout: 120_000,
  });
  return { stdout, runId: /^Run id: (\w+)$/m.exec(stdout)?.[1] ?? '' };
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / MiB).toFixed(0)} MiB`);
