// A fake: fluentd cannot run here (no Docker image, no rubygems), so this server answers as fluentd 1.19.3's monitor_agent did when it was recorded (tests/fixtures/fluentd-1.19.3/), byte for byte: the plugin bodies, the headers, the 404 body.
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/** Where the recorded answers are (tests/fixtures/fluentd-1.19.3/README.md says how they were made). */
export const FLUENTD_CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'fluentd-1.19.3');

/**
 * The recorded states of the elasticsearch output (`@id out_elasticsearch`), in the order they
 * happened:
 * - `started`: just started, nothing received;
 * - `delivered`: 3 records received and written;
 * - `es-down`: Elasticsearch unreachable, 3 more records: the output retries, one chunk queued;
 * - `es-back`: Elasticsearch back, everything delivered; retry_count stays at 6.
 */
export const FLUENTD_STATES = ['started', 'delivered', 'es-down', 'es-back'] as const;
export type FluentdFakeState = (typeof FLUENTD_STATES)[number];

/** The body monitor_agent answered in that state, as recorded. */
export function fluentdCapture(state: FluentdFakeState): string {
  return readFileSync(join(FLUENTD_CAPTURES, `${FLUENTD_STATES.indexOf(state) + 1}-${state}.json`), 'utf8');
}

/** What monitor_agent answers a path it does not serve (recorded: `404-not-found.http`). */
export const NOT_FOUND_BODY = '{"message":"Not found"}';

/** One answer of the monitor, before it is put on the wire. */
export interface MonitorAnswer {
  status: 200 | 404;
  body: string;
  /** monitor_agent's `/api/plugins` and `/api/config` (no .json) answer text/plain. */
  type?: 'application/json' | 'text/plain';
}

/**
 * Serves HTTP/1.1 the way fluentd's monitor_agent (its async-http server) writes it: the status
 * line, `Content-Type` and a lower-case `content-length`, nothing else (no Date, no Connection),
 * connections kept open for the next request. Node's http module adds headers of its own, hence
 * this small server on a plain socket; it reads GET/HEAD requests without bodies, as the tutorial
 * sends them.
 */
export function monitorHttpServer(answer: (method: string, path: string) => MonitorAnswer): Server {
  return createServer((socket: Socket) => {
    let pending = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        const [method = 'GET', target = '/'] = head.split('\r\n')[0]!.split(' ');
        const a = answer(method, target.split('?')[0]!);
        const body = Buffer.from(a.body, 'utf8');
        const status = a.status === 200 ? '200 OK' : '404 Not Found';
        socket.write(`HTTP/1.1 ${status}\r\nContent-Type: ${a.type ?? 'application/json'}\r\ncontent-length: ${body.length}\r\n\r\n`);
        if (method !== 'HEAD') socket.write(body);
      }
    });
  });
}

/** Starts `server` on `port` (0: a free one) of `host`; resolves with the port. */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops a server and ends its open connections. */
export function closeServer(server: Server, sockets?: Iterable<Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const socket of sockets ?? []) socket.destroy();
  });
}

/** A running fake: its base URL, the state it answers with, and how to stop it. */
export interface FluentdMonitorFake {
  url: string;
  setState(state: FluentdFakeState): void;
  close(): Promise<void>;
}

/** Starts the fake on a free port of 127.0.0.1, answering with the recorded bodies. */
export async function startFluentdMonitor(initial: FluentdFakeState = 'delivered'): Promise<FluentdMonitorFake> {
  const bodies = new Map(FLUENTD_STATES.map((s) => [s, fluentdCapture(s)]));
  const config = readFileSync(join(FLUENTD_CAPTURES, 'config.json.http'), 'utf8').split('\r\n\r\n')[1]!;
  let state = initial;
  const sockets = new Set<Socket>();
  const server = monitorHttpServer((_method, path): MonitorAnswer => {
    if (path === '/api/plugins.json') return { status: 200, body: bodies.get(state)! };
    if (path === '/api/config.json') return { status: 200, body: config };
    return { status: 404, body: NOT_FOUND_BODY };
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listenOn(server, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}`,
    setState: (s) => {
      state = s;
    },
    close: () => closeServer(server, sockets),
  };
}
