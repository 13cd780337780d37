// A fake: fluentd cannot run here (no Ruby gems from the network, no Docker image), so this server answers monitor_agent's `GET /api/plugins.json` with plugin entries in fluentd 1.19's shape.
import { createServer } from 'node:http';
import { listenLocal } from '../helpers/http-listen.ts';

/**
 * What the elasticsearch output is doing:
 * - `delivering`: records flow, nothing queued, no retries;
 * - `retrying`: Elasticsearch is unreachable, chunks pile up and the retry counter grows;
 * - `no-output`: the config has no elasticsearch output (a `<match>` that does not fit, say).
 */
export type FluentdFakeState = 'delivering' | 'retrying' | 'no-output';

/** A running fake: its base URL, its mutable state, and how to stop it. */
export interface FluentdMonitorFake {
  url: string;
  setState(state: FluentdFakeState): void;
  /** Records the elasticsearch output has received (`emit_records`). */
  setEmitRecords(n: number): void;
  close(): Promise<void>;
}

/** Starts the fake on a free port of 127.0.0.1; the output's `@id` is `out_es`. */
export async function startFluentdMonitor(initial: FluentdFakeState = 'delivering'): Promise<FluentdMonitorFake> {
  let state = initial;
  let emitRecords = 0;

  const plugins = () => {
    const list: Record<string, unknown>[] = [
      {
        plugin_id: 'in_forward',
        plugin_category: 'input',
        type: 'forward',
        config: { '@type': 'forward', '@id': 'in_forward', port: '24224', bind: '0.0.0.0' },
        output_plugin: false,
        retry_count: null,
        emit_records: emitRecords,
        emit_size: 0,
      },
      {
        plugin_id: 'in_monitor_agent',
        plugin_category: 'input',
        type: 'monitor_agent',
        config: { '@type': 'monitor_agent', '@id': 'in_monitor_agent', bind: '0.0.0.0', port: '24220' },
        output_plugin: false,
        retry_count: null,
        emit_records: 0,
        emit_size: 0,
      },
    ];
    const retrying = state === 'retrying';
    const output = {
      plugin_id: 'out_es',
      plugin_category: 'output',
      type: 'elasticsearch',
      config: {
        '@type': 'elasticsearch',
        '@id': 'out_es',
        host: 'elasticsearch',
        port: '9200',
        logstash_format: 'true',
        include_timestamp: 'true',
      },
      output_plugin: true,
      buffer_queue_length: retrying ? 4 : 0,
      buffer_timekeys: [],
      buffer_total_queued_size: retrying ? 18_432 : 0,
      retry_count: retrying ? 7 : 0,
      emit_records: emitRecords,
      emit_size: 0,
      emit_count: emitRecords > 0 ? 1 : 0,
      write_count: retrying ? 0 : emitRecords > 0 ? 1 : 0,
      write_secondary_count: 0,
      rollback_count: retrying ? 7 : 0,
      slow_flush_count: 0,
      flush_time_count: 12,
      drop_oldest_chunk_count: 0,
      buffer_stage_length: retrying ? 1 : 0,
      buffer_stage_byte_size: retrying ? 512 : 0,
      buffer_queue_byte_size: retrying ? 18_432 : 0,
      buffer_available_buffer_space_ratios: retrying ? 99.9 : 100.0,
      // include_retry (default true) adds the retry state while a flush is being retried.
      retry: retrying ? { start: '2026-01-12T10:04:11Z', steps: 6, next_time: '2026-01-12T10:05:15Z' } : {},
    };
    if (state === 'no-output') {
      list.push({ ...output, plugin_id: 'out_stdout', type: 'stdout', config: { '@type': 'stdout', '@id': 'out_stdout' } });
    } else {
      list.push(output);
    }
    return { plugins: list };
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/api/plugins.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(plugins()));
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
    setEmitRecords: (n) => {
      emitRecords = n;
    },
    close,
  };
}
