import { type FluentdProbe, fluentdProbe } from '../../../protocol/probes/fluentd.ts';
import { ev } from '../evidence.ts';
import { answerEvidence, ask, isAnswer, joinUrl, origin, type ServiceInfo, unexpectedAnswer } from '../http-client.ts';
import type { ProbeModule } from '../types.ts';

const FLUENTD: ServiceInfo = { name: "fluentd's monitor_agent", start: 'docker compose up -d fluentd' };

/** One entry of monitor_agent's plugin list (the fields this probe reads), as fluentd 1.18 answers. */
interface PluginEntry {
  plugin_id?: string;
  plugin_category?: string;
  type?: string;
  output_plugin?: boolean;
  /** Errors since fluentd started (each failed flush counts); it never goes back to 0. */
  retry_count?: number | null;
  buffer_queue_length?: number;
  emit_records?: number;
  write_count?: number;
  /**
   * The retry in progress (with `include_retry true`): `{start, steps, next_time}` while a flush
   * keeps failing, `{}` when none is. Absent without include_retry.
   */
  retry?: { start?: string; steps?: number; next_time?: string };
}

/**
 * fluentd: an output plugin (by @id or type) is loaded and delivering: no retry in progress (its
 * `retry` object is empty) and, when monitor_agent does not report `retry`, nothing queued.
 * Optionally it has taken records and holds no backlog.
 */
export const fluentdModule: ProbeModule<typeof fluentdProbe> = {
  kind: 'fluentd',
  schema: fluentdProbe,
  defaultTimeout: 5,
  async run(spec, ctx) {
    const base = spec.url ?? ctx.endpoints.fluentd_monitor;
    const a = await ask(joinUrl(base, '/api/plugins.json'), FLUENTD, ctx);
    if (!isAnswer(a)) return a;
    const plugins = (a.json as { plugins?: unknown } | undefined)?.plugins;
    if (a.status !== 200 || !Array.isArray(plugins)) return unexpectedAnswer(a, FLUENTD, 'a list of plugins');
    const entries = plugins as PluginEntry[];
    const outputs = entries.filter((p) => p.output_plugin === true || p.plugin_category === 'output');
    const listing = ev(
      'fluentd plugins',
      entries.map((p) => `${p.plugin_category ?? '?'} ${p.type ?? '?'} (@id ${p.plugin_id ?? '?'})`).join('\n'),
    );
    const plugin = spec.id ? entries.find((p) => p.plugin_id === spec.id) : outputs.find((p) => p.type === spec.type);
    const name = describePlugin(spec);
    if (!plugin) {
      return {
        ok: false,
        message: `fluentd at ${origin(base)} runs, but has no ${name}.`,
        hint: `Check the <match> section of the fluentd config (compose/fluentd/fluent.conf): it needs \`@type ${spec.type}\`${spec.id ? ` and \`@id ${spec.id}\`` : ''}; then \`docker compose restart fluentd\` and read \`docker compose logs fluentd\`.`,
        evidence: [listing],
      };
    }
    const evidence = [listing, ev(`fluentd ${name}`, summarize(plugin))];
    const queued = plugin.buffer_queue_length ?? 0;
    const chunks = `${queued} buffer ${queued === 1 ? 'chunk' : 'chunks'}`;
    const retry = plugin.retry;
    if (retry && Object.keys(retry).length > 0) {
      const since = retry.start ? ` since ${retry.start}` : '';
      const steps = retry.steps === undefined ? '' : `, ${retry.steps} ${retry.steps === 1 ? 'retry' : 'retries'} so far`;
      const next = retry.next_time ? `, the next at ${retry.next_time}` : '';
      return {
        ok: false,
        message: `fluentd's ${name} cannot write to Elasticsearch: it has been retrying${since}${steps}${next}, with ${chunks} waiting.`,
        hint: 'Read `docker compose logs fluentd` for the reason (connection refused, or a client/server version mismatch); fluentd reaches Elasticsearch by its service name, http://elasticsearch:9200. The records wait in the buffer and go out once a retry succeeds.',
        // The raw plugin entry goes along so the diagnosis can match on it.
        evidence: [...evidence, ...answerEvidence(a, 3000)],
      };
    }
    // Without include_retry there is no retry object; a queue that does not drain is the sign.
    const limit = spec.maxBufferQueueLength ?? (retry === undefined ? 0 : undefined);
    if (limit !== undefined && queued > limit) {
      return {
        ok: false,
        message: `fluentd's ${name} holds ${chunks} that it has not delivered (at most ${limit} expected).`,
        hint: 'Chunks wait in the queue until Elasticsearch accepts them; wait for the next flush (3 seconds) and check again, and read `docker compose logs fluentd` if the queue keeps growing.',
        evidence,
      };
    }
    const records = plugin.emit_records ?? 0;
    if (spec.minEmitRecords !== undefined && records < spec.minEmitRecords) {
      return {
        ok: false,
        message: `fluentd's ${name} has received ${records} ${records === 1 ? 'record' : 'records'}, and at least ${spec.minEmitRecords} ${spec.minEmitRecords === 1 ? 'is' : 'are'} expected.`,
        hint: 'Run the logging script again and make sure its tag matches the <match> pattern (the guide uses the tag ds and `<match ds.**>`).',
        evidence,
      };
    }
    const errors = plugin.retry_count ?? 0;
    const recovered =
      errors > 0 ? ` Its retry_count of ${errors} counts earlier failed writes since fluentd started; it never goes back to 0.` : '';
    return {
      ok: true,
      message: `fluentd's ${name} is loaded and delivering (no retry in progress, ${chunks} queued, ${records} ${records === 1 ? 'record' : 'records'} received).${recovered}`,
      evidence,
    };
  },
};

function describePlugin(spec: FluentdProbe): string {
  return spec.id ? `output plugin with @id ${spec.id}` : `${spec.type} output plugin`;
}

function summarize(p: PluginEntry): string {
  const retry = p.retry === undefined ? 'not reported (include_retry is off)' : JSON.stringify(p.retry);
  return [
    `retry ${retry}`,
    `buffer_queue_length ${p.buffer_queue_length ?? 0}`,
    `emit_records ${p.emit_records ?? 0}`,
    `write_count ${p.write_count ?? 0}`,
    `retry_count ${p.retry_count ?? 0} (errors since fluentd started)`,
  ].join(', ');
}
