import type { ServiceStatus } from '../../protocol/messages.ts';
import { STACK_SERVICES, type StackServiceId } from '../../protocol/services.ts';
import { findServiceContainers } from './docker.ts';
import { type Endpoints, type EndpointsSource, endpointsNow } from './endpoints.ts';
import { type HttpAnswer, httpRequest } from './http.ts';

/** What the panel says about one service: its state and a few words on why. */
export interface Verdict {
  state: ServiceStatus['state'];
  detail: string;
}

/** How one service of the stack is asked whether it is up, and where its own UI is. */
export interface ServiceProbe {
  url?: string;
  /** The UI's first page under `url`, if not `url` itself. */
  home?: string;
  /** What is asked (a URL, or the compose service's container), for the learner and the tests. */
  target: string;
  ask(signal: AbortSignal): Promise<Verdict>;
}

/** A program that answers, but not as the service would: another server holds the port. */
const OTHER: Verdict = { state: 'other', detail: 'something else answers on this port' };

/**
 * Asks one URL and lets `judge` read the answer; `judge` returns undefined when the answer is
 * not the service's own (then something else holds the port).
 */
async function httpVerdict(url: string, signal: AbortSignal, judge: (a: HttpAnswer) => Verdict | undefined): Promise<Verdict> {
  const a = await httpRequest(url, { signal, maxChars: 20_000, headers: { accept: 'application/json' } });
  if (a.kind !== 'answer') return { state: 'down', detail: a.kind === 'timeout' ? 'does not answer' : 'not running' };
  return judge(a) ?? OTHER;
}

const text = (a: HttpAnswer) => a.text.trim();

/**
 * MLflow, told apart from anything else on its port by answers only an MLflow server gives:
 * `/health` says `OK`, `/version` is a version number, and the REST API lists experiments. MLflow
 * 3.5+ refuses a Host it does not allow with 403 "Invalid Host header" on its API (not on /health
 * or /version): that is MLflow too, but the browser could not use it at this address.
 */
async function mlflowVerdict(base: string, signal: AbortSignal): Promise<Verdict> {
  const ask = (path: string) => httpRequest(`${base}${path}`, { signal, maxChars: 20_000, headers: { accept: 'application/json' } });
  const [health, version, search] = await Promise.all([
    ask('/health'),
    ask('/version'),
    ask('/api/2.0/mlflow/experiments/search?max_results=1'),
  ]);
  if (health.kind !== 'answer') return { state: 'down', detail: health.kind === 'timeout' ? 'does not answer' : 'not running' };
  if ([health, version, search].some((a) => a.kind === 'answer' && a.status === 403 && /Invalid Host header/i.test(a.text))) {
    return { state: 'down', detail: 'refuses this address (Invalid Host header); see --allowed-hosts' };
  }
  const v = version.kind === 'answer' && version.status === 200 ? text(version) : '';
  const listed =
    search.kind === 'answer' && search.status === 200 && Array.isArray((search.json as { experiments?: unknown })?.experiments);
  if (health.status === 200 && text(health) === 'OK' && /^\d+\.\d+(\.\d+)?\S*$/.test(v) && listed)
    return { state: 'up', detail: `MLflow ${v}` };
  return OTHER;
}

/**
 * SeaweedFS's S3 API, told apart from anything else on its port (another S3 server included) by
 * its answer to an unsigned `GET /`, S3's "list my buckets": the gateway names itself in a
 * `Server: SeaweedFS <size limit> <version>` header (weed 4.53: "SeaweedFS 30GB 4.53") and answers
 * in S3's XML. With the stack's one identity it refuses the request (403 AccessDenied); with no
 * identity at all it lists the buckets to anyone. The port has no UI, so the panel links nowhere.
 * The gateway starts listening after the filer it stores through, and dies with it (one `weed
 * mini` process), so its answer is enough; /healthz says 200 to anything and proves no more.
 */
async function s3Verdict(base: string, signal: AbortSignal): Promise<Verdict> {
  const a = await httpRequest(`${base}/`, { signal, maxChars: 20_000 });
  if (a.kind !== 'answer') return { state: 'down', detail: a.kind === 'timeout' ? 'does not answer' : 'not running' };
  const server = a.headers.get('server') ?? '';
  if (!/^SeaweedFS\b/.test(server) || /^SeaweedFS Volume\b/.test(server)) return OTHER;
  const version = /\s(\d+\.\d+\S*)$/.exec(server)?.[1];
  const name = version ? `SeaweedFS ${version}` : 'SeaweedFS';
  const code = /<Error>\s*<Code>([^<]+)<\/Code>/.exec(a.text)?.[1];
  if (a.status === 403 && code === 'AccessDenied') return { state: 'up', detail: name };
  if (a.status === 200 && /<ListAllMyBucketsResult\b/.test(a.text)) return { state: 'up', detail: `${name}, open to anyone` };
  // SeaweedFS, but not serving requests: say what it answered.
  if (code) return { state: 'down', detail: `answers ${a.status} ${code}` };
  return OTHER;
}

/**
 * The database from Docker: the health of the compose project's `postgres` container. Its port is
 * not published, and another PostgreSQL on the laptop must not count as the stack's.
 */
async function containerVerdict(e: Endpoints, service: string, signal: AbortSignal): Promise<Verdict> {
  let found: Awaited<ReturnType<typeof findServiceContainers>>;
  try {
    found = await findServiceContainers(e.docker, e.composeProject, service, signal);
  } catch {
    // The stack's database is a container: without Docker it cannot be running.
    return { state: 'down', detail: 'Docker does not answer' };
  }
  const c = found[0];
  // In the words the other services use ("not running"); the panel is no place for Docker's terms.
  if (!c) return { state: 'down', detail: 'not running' };
  if (c.state !== 'running') return { state: 'down', detail: c.state === 'exited' ? `exited with code ${c.exitCode}` : c.state };
  if (c.health === 'healthy' || c.health === 'none') return { state: 'up', detail: c.health === 'healthy' ? 'healthy' : 'running' };
  return { state: 'down', detail: c.health };
}

/** How each service of the stack (protocol/services.ts) is asked; a service without a way to ask it does not compile. */
export function serviceProbes(e: Endpoints): Record<StackServiceId, ServiceProbe> {
  return {
    elasticsearch: {
      url: e.es,
      target: `${e.es}/_cluster/health`,
      ask: (signal) =>
        httpVerdict(`${e.es}/_cluster/health`, signal, (a) => {
          const j = a.json as { cluster_name?: unknown; status?: unknown } | undefined;
          if (typeof j?.cluster_name !== 'string' || typeof j.status !== 'string') return undefined;
          return { state: ['green', 'yellow'].includes(j.status) ? 'up' : 'down', detail: `cluster ${j.status}` };
        }),
    },
    kibana: {
      url: e.kibana,
      home: '/app/home',
      target: `${e.kibana}/api/status`,
      ask: (signal) =>
        httpVerdict(`${e.kibana}/api/status`, signal, (a) => {
          if (a.status === 503 && /Kibana server is not ready yet/.test(a.text)) return { state: 'down', detail: 'starting' };
          const level = (a.json as { status?: { overall?: { level?: unknown } } } | undefined)?.status?.overall?.level;
          if (typeof level !== 'string') return undefined;
          return { state: level === 'available' ? 'up' : 'down', detail: level };
        }),
    },
    fluentd: {
      target: `${e.fluentd_monitor}/api/plugins.json`,
      ask: (signal) =>
        httpVerdict(`${e.fluentd_monitor}/api/plugins.json`, signal, (a) => {
          const plugins = (a.json as { plugins?: unknown } | undefined)?.plugins;
          if (a.status !== 200 || !Array.isArray(plugins)) return undefined;
          return { state: 'up', detail: `${plugins.length} plugins` };
        }),
    },
    postgres: {
      target: `docker: the ${e.composeProject} project's postgres container`,
      ask: (signal) => containerVerdict(e, 'postgres', signal),
    },
    mlflow: {
      url: e.mlflow,
      target: `${e.mlflow}/health, /version and /api/2.0/mlflow/experiments/search`,
      ask: (signal) => mlflowVerdict(e.mlflow, signal),
    },
    adminer: {
      url: e.adminer,
      target: `${e.adminer}/`,
      // adminer's login page is titled "Login - Adminer".
      ask: (signal) =>
        httpVerdict(`${e.adminer}/`, signal, (a) =>
          a.status === 200 && /Adminer/.test(a.text) ? { state: 'up', detail: 'login page' } : undefined,
        ),
    },
    seaweedfs: {
      // No `url`: the S3 port has no page for a browser, so the panel's name is no link.
      target: `${e.s3}/`,
      ask: (signal) => s3Verdict(e.s3, signal),
    },
  };
}

/**
 * Where the learner's browser opens a service's UI. On their own machine that is the service's
 * address itself. In a workshop workspace (behind JupyterHub: JUPYTERHUB_SERVICE_PREFIX is set)
 * the browser is on another machine, so the UI is reached through the learner's own Jupyter
 * server: jupyter-server-proxy at <prefix>proxy/<port>/ forwards to 127.0.0.1:<port> in the
 * workspace, behind the learner's login. The answer is then a path on the hub's origin.
 */
export function uiAddress(url: string, prefix = process.env.JUPYTERHUB_SERVICE_PREFIX): string {
  if (!prefix) return url;
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return url;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${prefix.endsWith('/') ? prefix : `${prefix}/`}proxy/${port}${u.pathname === '/' ? '/' : u.pathname}`;
}

/** Asks every service once, in parallel, each with a short deadline. */
export async function pollStack(e: Endpoints, timeoutMs = 1500): Promise<ServiceStatus[]> {
  const probes = serviceProbes(e);
  return Promise.all(
    STACK_SERVICES.map(async ({ id, name }) => {
      const s = probes[id];
      const r = await s.ask(AbortSignal.timeout(timeoutMs));
      const status: ServiceStatus = { id, name, state: r.state, detail: r.detail };
      if (s.url) status.url = uiAddress(s.url);
      // Only behind the hub: on a laptop the service's own address redirects as it should.
      if (s.home && status.url !== s.url) status.home = s.home;
      return status;
    }),
  );
}

/**
 * Polls the stack every few seconds while a page is open and pushes the statuses when they
 * change; it sleeps while no page is open. The endpoints are asked at every poll, so a port moved
 * in the workspace's compose/.env moves the panel's lights too.
 */
export class StackStatus {
  last: ServiceStatus[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  #active: () => boolean = () => false;
  #polling = false;

  constructor(
    private readonly endpoints: EndpointsSource,
    private readonly push: (services: ServiceStatus[]) => void,
    private readonly seconds: number,
  ) {}

  setActive(active: () => boolean): void {
    this.#active = active;
  }

  /** A page opened: poll now and keep polling while pages are open. */
  wake(): void {
    if (this.seconds <= 0 || this.#timer) return;
    void this.#tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const next = await pollStack(endpointsNow(this.endpoints));
      if (JSON.stringify(next) !== JSON.stringify(this.last)) {
        this.last = next;
        this.push(next);
      }
    } finally {
      this.#polling = false;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#active()) void this.#tick();
    }, this.seconds * 1000);
    this.#timer.unref();
  }
}
