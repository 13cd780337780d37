// A fake: Kibana cannot run here (no Elastic images, no registry), so this server answers the few Kibana HTTP APIs the probes use, in Kibana 8/9's shapes.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Listening, listenLocal } from '../helpers/http-listen.ts';

/** What `/api/status` reports: one of Kibana's levels, or `not-ready` (Kibana up, Elasticsearch not reachable yet). */
export type KibanaFakeState = 'available' | 'degraded' | 'unavailable' | 'critical' | 'not-ready';

/** A data view as `GET /api/data_views` lists it. */
export interface DataViewListItem {
  id: string;
  namespaces: string[];
  title: string;
  name: string;
  typeMeta: Record<string, never>;
}

/** A running fake: its base URL, its mutable state, and how to stop it. */
export interface KibanaFake {
  url: string;
  /** Changes what `/api/status` reports from now on. */
  setState(state: KibanaFakeState): void;
  /** The data views that exist (POST /api/data_views/data_view adds to it). */
  dataViews: DataViewListItem[];
  close(): Promise<void>;
}

const SUMMARY: Record<Exclude<KibanaFakeState, 'not-ready'>, string> = {
  available: 'All services and plugins are available',
  degraded: '1 service is degraded: elasticsearch',
  unavailable: '1 service is unavailable: elasticsearch',
  critical: '1 service is critical: savedObjects',
};

/** Where the fake listens and which version it reports (tests/fakes/kibana-server.ts runs it in a container). */
export interface KibanaFakeOptions {
  /** Address and port to listen on; by default a free port of 127.0.0.1. */
  listen?: { host: string; port: number };
  /** The version `/api/status` reports (default 8.19.3, the version the probes' tests use). */
  version?: string;
  /**
   * Kibana's server.basePath (SERVER_BASEPATH in its container), with server.rewriteBasePath
   * false: requests come without it (a proxy strips it), and Kibana's redirects and links carry it.
   */
  basePath?: string;
}

/** Starts the fake on a free port of 127.0.0.1, or where `options.listen` says. */
export async function startKibana(initial: KibanaFakeState = 'available', options: KibanaFakeOptions = {}): Promise<KibanaFake> {
  let state = initial;
  const dataViews: DataViewListItem[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (state === 'not-ready') {
      // Before it reaches Elasticsearch, Kibana answers every route with this 30-byte HTML body.
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '30', 'cache-control': 'no-cache' });
      res.end('Kibana server is not ready yet');
      return;
    }
    if (req.method === 'GET' && path === '/api/status') {
      const level = state;
      const body = {
        name: 'kibana',
        uuid: '5b2de169-2785-441b-ae8c-186a1936b17d',
        version: {
          number: options.version ?? '8.19.3',
          build_hash: 'c0ffee',
          build_number: 86000,
          build_snapshot: false,
          build_flavor: 'traditional',
        },
        status: {
          overall: { level, summary: SUMMARY[level] },
          core: {
            elasticsearch: {
              level: level === 'critical' ? 'available' : level,
              summary: level === 'available' ? 'Elasticsearch is available' : SUMMARY[level],
            },
            savedObjects: {
              level: level === 'critical' ? 'critical' : 'available',
              summary: 'SavedObjects service has completed migrations and is available',
            },
          },
          plugins: {},
        },
        metrics: { last_updated: new Date().toISOString(), collection_interval_in_millis: 5000 },
      };
      // Kibana answers 503 while its overall level is unavailable or critical.
      json(res, level === 'unavailable' || level === 'critical' ? 503 : 200, body);
      return;
    }
    if (req.method === 'GET' && path === '/api/data_views') {
      json(res, 200, { data_view: dataViews });
      return;
    }
    if (req.method === 'POST' && path === '/api/data_views/data_view') {
      // Kibana's CSRF protection: every state-changing API call needs this header.
      if (req.headers['kbn-xsrf'] === undefined) {
        json(res, 400, { statusCode: 400, error: 'Bad Request', message: 'Request must contain a kbn-xsrf header.' });
        return;
      }
      const body = await readJson(req);
      const spec = (body as { data_view?: { title?: unknown; name?: unknown; timeFieldName?: unknown } } | undefined)?.data_view;
      if (typeof spec?.title !== 'string' || spec.title === '') {
        json(res, 400, {
          statusCode: 400,
          error: 'Bad Request',
          message: '[request body.data_view.title]: expected value of type [string] but got [undefined]',
        });
        return;
      }
      const override = (body as { override?: unknown }).override === true;
      if (override) dataViews.splice(0, dataViews.length, ...dataViews.filter((d) => d.title !== spec.title));
      if (dataViews.some((d) => d.title === spec.title)) {
        json(res, 400, { statusCode: 400, error: 'Bad Request', message: `Duplicate data view: ${spec.title}` });
        return;
      }
      const item: DataViewListItem = {
        id: randomUUID(),
        namespaces: ['default'],
        title: spec.title,
        name: typeof spec.name === 'string' ? spec.name : spec.title,
        typeMeta: {},
      };
      dataViews.push(item);
      json(res, 200, {
        data_view: {
          ...item,
          version: 'WzEwLDFd',
          timeFieldName: typeof spec.timeFieldName === 'string' ? spec.timeFieldName : undefined,
          sourceFilters: [],
          fields: {},
          fieldFormats: {},
          runtimeFieldMap: {},
          fieldAttrs: {},
          allowNoIndex: false,
          allowHidden: false,
        },
      });
      return;
    }
    const base = (options.basePath ?? '').replace(/\/$/, '');
    if (req.method === 'GET' && path === '/') {
      // Kibana sends the browser to its home app, under its base path.
      res.writeHead(302, { location: `${base}/app/home`, 'content-length': '0' });
      res.end();
      return;
    }
    if (req.method === 'GET' && path?.startsWith('/app/')) {
      // Not Kibana's page (a JavaScript application): its title, and links under the base path.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, no-cache, no-store, must-revalidate' });
      res.end(
        `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Elastic</title></head><body data-base-path="${base}"><h1>Kibana (a fake)</h1><a href="${base}/app/discover">Discover</a></body></html>`,
      );
      return;
    }
    json(res, 404, { statusCode: 404, error: 'Not Found', message: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  const { url, close } = options.listen ? await listenOn(server, options.listen) : await listenLocal(server);
  return {
    url,
    setState: (s) => {
      state = s;
    },
    dataViews,
    close,
  };
}

async function listenOn(server: Server, at: { host: string; port: number }): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, resolve);
  });
  return {
    url: `http://${at.host}:${at.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
