// A fake: fluentd cannot run here (no Docker image, no rubygems), so this server answers monitor_agent's `GET /api/plugins.json` with answers recorded from a real fluentd 1.18 (tests/fixtures/fluentd-1.18/), byte for byte.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { listenLocal } from '../helpers/http-listen.ts';

/** Where the recorded answers are (tests/fixtures/fluentd-1.18/README.md says how they were made). */
export const FLUENTD_CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'fluentd-1.18');

/**
 * The recorded states of the elasticsearch output (`@id out_elasticsearch`), in the order they
 * happened:
 * - `started`: just started, nothing received;
 * - `delivered`: 3 records received and written;
 * - `es-down`: Elasticsearch stopped, 3 more records: the output retries, one chunk queued;
 * - `es-back`: Elasticsearch back, everything delivered; retry_count stays at 4.
 */
export const FLUENTD_STATES = ['started', 'delivered', 'es-down', 'es-back'] as const;
export type FluentdFakeState = (typeof FLUENTD_STATES)[number];

/** The body monitor_agent answered in that state, as recorded. */
export function fluentdCapture(state: FluentdFakeState): string {
  return readFileSync(join(FLUENTD_CAPTURES, `${FLUENTD_STATES.indexOf(state) + 1}-${state}.json`), 'utf8');
}

/** A running fake: its base URL, the state it answers with, and how to stop it. */
export interface FluentdMonitorFake {
  url: string;
  setState(state: FluentdFakeState): void;
  close(): Promise<void>;
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFluentdMonitor(initial: FluentdFakeState = 'delivered'): Promise<FluentdMonitorFake> {
  const bodies = new Map(FLUENTD_STATES.map((s) => [s, fluentdCapture(s)]));
  let state = initial;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/api/plugins.json') {
      // The captures hold the bodies; monitor_agent sends them as application/json.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(bodies.get(state));
      return;
    }
    // monitor_agent answers unknown paths with 404 and an empty body.
    res.writeHead(404);
    res.end();
  });
  const { url, close } = await listenLocal(server);
  return {
    url,
    setState: (s) => {
      state = s;
    },
    close,
  };
}
