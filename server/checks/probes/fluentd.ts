import { type FluentdProbe, fluentdProbe } from '../../../protocol/probes/fluentd.ts';
import { ev } from '../evidence.ts';
import { answerEvidence, ask, isAnswer, joinUrl, origin, type ServiceInfo, unexpectedAnswer } from '../http-client.ts';
import type { ProbeModule } from '../types.ts';

const FLUENTD: ServiceInfo = { name: "fluentd's monitor_agent", start: 'docker compose up -d fluentd' };

/** One entry of monitor_agent's plugin list (the fields this probe reads). */
interface PluginEntry {
  plugin_id?: string;
  plugin_category?: string;
  type?: string;
  output_plugin?: boolean;
  retry_count?: number | null;
  buffer_queue_length?: number;
  emit_records?: number;
  retry?: Record<string, unknown>;
}

/** fluentd: an output plugin (by @id or type) is loaded, is not retrying, and has taken records. */
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
    const state = summarize(plugin);
    const evidence = [listing, ev(`fluentd ${name}`, state)];
    const retries = plugin.retry_count ?? 0;
    if (retries > spec.maxRetryCount) {
      return {
        ok: false,
        message: `fluentd's ${name} has retried ${retries} ${retries === 1 ? 'time' : 'times'} to deliver records, so it cannot reach Elasticsearch.`,
        hint: 'Read `docker compose logs fluentd` for the reason (connection refused, or a client/server version mismatch); fluentd must reach Elasticsearch by its service name, http://elasticsearch:9200.',
        // The raw plugin entry goes along so the diagnosis can match on it.
        evidence: [...evidence, ...answerEvidence(a, 3000)],
      };
    }
    const queued = plugin.buffer_queue_length ?? 0;
    if (spec.maxBufferQueueLength !== undefined && queued > spec.maxBufferQueueLength) {
      return {
        ok: false,
        message: `fluentd's ${name} holds ${queued} buffer ${queued === 1 ? 'chunk' : 'chunks'} that it has not delivered (at most ${spec.maxBufferQueueLength} expected).`,
        hint: 'Chunks wait in the queue until Elasticsearch accepts them; wait for the next flush and check again, and read `docker compose logs fluentd` if the queue keeps growing.',
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
    return { ok: true, message: `fluentd's ${name} is loaded and delivering (${state}).`, evidence };
  },
};

function describePlugin(spec: FluentdProbe): string {
  return spec.id ? `output plugin with @id ${spec.id}` : `${spec.type} output plugin`;
}

function summarize(p: PluginEntry): string {
  return `retry_count ${p.retry_count ?? 0}, buffer_queue_length ${p.buffer_queue_length ?? 0}, emit_records ${p.emit_records ?? 0}`;
}
