import type { ServiceStatus } from '../../protocol/messages.ts';
import { STACK_SERVICES, type StackServiceId } from '../../protocol/services.ts';
import { type Endpoints, type EndpointsSource, endpointsNow } from './endpoints.ts';
import { httpRequest } from './http.ts';
import { tryConnect } from './tcp.ts';

/** How one service of the stack is asked whether it is up, and where its own UI is. */
export interface ServiceProbe {
  url?: string;
  /** What is asked (a URL, or host:port), for the learner and the tests. */
  target: string;
  ask(signal: AbortSignal): Promise<{ up: boolean; detail: string }>;
}

async function httpUp(
  url: string,
  signal: AbortSignal,
  ok: (status: number, json: unknown, text: string) => boolean,
): Promise<{ up: boolean; detail: string }> {
  const a = await httpRequest(url, { signal, maxChars: 20_000, headers: { accept: 'application/json' } });
  if (a.kind !== 'answer') return { up: false, detail: a.kind === 'timeout' ? 'does not answer' : 'not running' };
  return ok(a.status, a.json, a.text) ? { up: true, detail: `HTTP ${a.status}` } : { up: false, detail: `HTTP ${a.status}` };
}

async function tcpUp(host: string, port: number, signal: AbortSignal): Promise<{ up: boolean; detail: string }> {
  const o = await tryConnect(host, port, signal);
  if (o.open) return { up: true, detail: `port ${port} open` };
  return { up: false, detail: o.timedOut ? 'does not answer' : 'not running' };
}

/** How each service of the stack (protocol/services.ts) is asked; a service without a way to ask it does not compile. */
export function serviceProbes(e: Endpoints): Record<StackServiceId, ServiceProbe> {
  return {
    elasticsearch: {
      url: e.es,
      target: `${e.es}/_cluster/health`,
      ask: (signal) =>
        httpUp(
          `${e.es}/_cluster/health`,
          signal,
          (st, json) => st === 200 && ['green', 'yellow'].includes((json as { status?: string })?.status ?? ''),
        ),
    },
    kibana: {
      url: e.kibana,
      target: `${e.kibana}/api/status`,
      ask: (signal) =>
        httpUp(
          `${e.kibana}/api/status`,
          signal,
          (st, json) => st === 200 && (json as { status?: { overall?: { level?: string } } })?.status?.overall?.level === 'available',
        ),
    },
    fluentd: { target: `${e.fluentd.host}:${e.fluentd.port}`, ask: (signal) => tcpUp(e.fluentd.host, e.fluentd.port, signal) },
    // The compose file does not publish PostgreSQL's port; this light is fixed in the next change.
    postgres: { target: '127.0.0.1:5432', ask: (signal) => tcpUp('127.0.0.1', 5432, signal) },
    mlflow: { url: e.mlflow, target: `${e.mlflow}/health`, ask: (signal) => httpUp(`${e.mlflow}/health`, signal, (st) => st === 200) },
    adminer: { url: e.adminer, target: `${e.adminer}/`, ask: (signal) => httpUp(`${e.adminer}/`, signal, (st) => st === 200) },
  };
}

/** Asks every service once, in parallel, each with a short deadline. */
export async function pollStack(e: Endpoints, timeoutMs = 1500): Promise<ServiceStatus[]> {
  const probes = serviceProbes(e);
  return Promise.all(
    STACK_SERVICES.map(async ({ id, name }) => {
      const s = probes[id];
      const r = await s.ask(AbortSignal.timeout(timeoutMs));
      const status: ServiceStatus = { id, name, state: r.up ? 'up' : 'down', detail: r.detail };
      if (s.url) status.url = s.url;
      return status;
    }),
  );
}

/**
 * Polls the stack every few seconds while a page is open and pushes the statuses when they
 * change; it sleeps while no page is open.
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
