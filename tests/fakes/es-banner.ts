// A fake: Elasticsearch 9 cannot run here (its jars need Java 21; the tests' real node is 8.19.21, tests/services/elasticsearch), so this server answers `GET /` with the banner Elasticsearch 9.1.3 sends, for the check that the node's major version is the one fluentd's plugin is pinned for.
import { createServer } from 'node:http';
import { listenLocal } from '../helpers/http-listen.ts';

/** The banner, as Elasticsearch 9.1 returns it from `GET /` (field order kept). */
export const ES_BANNERS = {
  '9.1.3': {
    name: 'es01',
    cluster_name: 'docker-cluster',
    cluster_uuid: 'Hc7rP2mXQ1u0bq6YtLw2VA',
    version: {
      number: '9.1.3',
      build_flavor: 'default',
      build_type: 'docker',
      build_hash: '0c781091a2f57de895a73a1391ff8426c0153c8d',
      build_date: '2025-08-24T22:05:04.526302670Z',
      build_snapshot: false,
      lucene_version: '10.2.2',
      minimum_wire_compatibility_version: '8.19.0',
      minimum_index_compatibility_version: '8.0.0',
    },
    tagline: 'You Know, for Search',
  },
} as const;

/** A running fake: its base URL and how to stop it. */
export interface EsBannerFake {
  url: string;
  close(): Promise<void>;
}

/** Starts a server on a free port of 127.0.0.1 that answers `GET /` with the banner of `version`. */
export async function startEsBanner(version: keyof typeof ES_BANNERS): Promise<EsBannerFake> {
  const server = createServer((req, res) => {
    // Elasticsearch (since 7.14) names itself in this header; clients check it.
    res.setHeader('X-elastic-product', 'Elasticsearch');
    if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(ES_BANNERS[version], null, 2)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'this fake answers GET / only', status: 404 }));
  });
  const { url, close } = await listenLocal(server);
  return {
    url,
    close,
  };
}
