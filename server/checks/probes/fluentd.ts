import { type FluentdProbe, fluentdProbe } from '../../../protocol/probes/fluentd.ts';
import { httpRequest } from '../../stack/http.ts';
import { ev } from '../evidence.ts';
import { answerEvidence, ask, isAnswer, joinUrl, origin, type ServiceInfo, unexpectedAnswer } from '../http-client.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

const FLUENTD: ServiceInfo = { name: "fluentd's monitor_agent", start: 'docker compose up -d fluentd' };

/** One entry of monitor_agent's plugin list (the fields this probe reads), as fluentd 1.19.3 answers. */
interface PluginEntry {
  plugin_id?: string;
  plugin_category?: string;
  type?: string;
  output_plugin?: boolean;
  /** Errors since fluentd started (each failed flush counts); it never goes back to 0. */
  retry_count?: number | null;
  buffer_queue_length?: number;
  /** Records taken since the last flush: a chunk that is written at the next flush_interval. */
  buffer_stage_length?: number;
  emit_records?: number;
  write_count?: number;
  /**
   * The retry in progress (with `include_retry true`): `{start, steps, next_time}` while a flush
   * keeps failing, `{}` when none is. Absent without include_retry.
   */
  retry?: { start?: string; steps?: number; next_time?: string };
}

/**
 * fluentd can write to Elasticsearch now: the output plugin (by @id or type) is loaded, has no
 * failed write pending (its `retry` object is empty), and Elasticsearch answers at the tutorial's
 * address for it (the same node fluentd reaches by its service name). monitor_agent alone cannot
 * say "can write": with nothing to send, `retry` stays `{}` however long Elasticsearch has been
 * away, and records just received sit staged with `retry` still `{}`; `write_count` counts
 * attempts, failed ones too. Optionally it has taken records and holds no backlog.
 *
 * The two ways fluentd cannot reach Elasticsearch, as fluentd 1.19.3 shows them
 * (tests/fixtures/fluentd-1.19.3): while running, a write fails and `retry` holds start, steps
 * and next_time; at start, the worker's configure asks Elasticsearch for its version, fails, and
 * the worker exits and restarts in a loop: no forward port, no monitor_agent. Both are named
 * "fluentd cannot reach Elasticsearch", with the command that brings Elasticsearch up.
 */
export const fluentdModule: ProbeModule<typeof fluentdProbe> = {
  kind: 'fluentd',
  schema: fluentdProbe,
  defaultTimeout: 5,
  async run(spec, ctx) {
    const base = spec.url ?? ctx.endpoints.fluentd_monitor;
    const a = await ask(joinUrl(base, '/api/plugins.json'), FLUENTD, ctx);
    if (!isAnswer(a)) {
      // No monitor_agent: fluentd is down, or its worker crash-loops because Elasticsearch
      // could not be reached when it started. Elasticsearch tells the two apart.
      const es = await askElasticsearch(ctx);
      if (es.ok) return a;
      return {
        ok: false,
        message: `fluentd cannot reach Elasticsearch: its monitor_agent at ${origin(base)} does not answer, and Elasticsearch does not answer at ${origin(ctx.endpoints.es)} either (${es.detail}). fluentd's worker stops at start when Elasticsearch cannot be reached, and fluentd starts it again every few seconds until it can.`,
        hint: `Start Elasticsearch with \`${ES_START}\`; fluentd's worker starts by itself within seconds after (until then \`docker compose -f compose/docker-compose.yml logs fluentd\` repeats "Worker 0 exited unexpectedly").`,
        evidence: [...a.evidence, ...es.evidence],
      };
    }
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
        message: `fluentd cannot reach Elasticsearch: its ${name} has been retrying a failed write${since}${steps}${next}, with ${chunks} waiting.`,
        hint: `Check Elasticsearch (\`curl -s "$ES_URL/_cluster/health"\`) and start it with \`${ES_START}\` if it is down; fluentd sends the waiting records at its next retry (at most 30 s later). \`docker compose -f compose/docker-compose.yml logs fluentd\` says why the write failed ("failed to flush the buffer").`,
        // The raw plugin entry goes along so the diagnosis can match on it.
        evidence: [...evidence, ...answerEvidence(a, 3000)],
      };
    }
    const es = await askElasticsearch(ctx);
    const staged = plugin.buffer_stage_length ?? 0;
    if (!es.ok) {
      const pending =
        staged + queued > 0 ? `${staged} staged and ${chunks} queued, to be written at the next flush` : 'nothing to write yet';
      return {
        ok: false,
        message: `fluentd cannot reach Elasticsearch: Elasticsearch does not answer at ${origin(ctx.endpoints.es)} (${es.detail}), so fluentd's next write will fail. Its ${name} shows no failed write yet (retry is empty) and holds ${pending}.`,
        hint: `Start Elasticsearch with \`${ES_START}\`; fluentd keeps what it receives meanwhile and writes it once Elasticsearch answers.`,
        evidence: [...evidence, ...es.evidence],
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
      message: `fluentd can write to Elasticsearch now: its ${name} has no failed write pending (retry is empty; ${chunks} queued, ${records} ${records === 1 ? 'record' : 'records'} received) and Elasticsearch answers at ${origin(ctx.endpoints.es)}.${recovered}`,
      evidence: [...evidence, ...es.evidence],
    };
  },
};

const ES_START = 'docker compose -f compose/docker-compose.yml up -d --wait elasticsearch';

/** Whether Elasticsearch gives an HTTP answer at the tutorial's address for it (any status). */
async function askElasticsearch(ctx: ProbeContext) {
  const url = joinUrl(ctx.endpoints.es, '/');
  const outcome = await httpRequest(url, { signal: ctx.signal, headers: { accept: 'application/json' } });
  if (outcome.kind === 'answer') {
    return { ok: true as const, detail: `HTTP ${outcome.status}`, evidence: [ev('Elasticsearch', `${url}: HTTP ${outcome.status}`)] };
  }
  return { ok: false as const, detail: outcome.detail, evidence: [ev('Elasticsearch', `${url}: ${outcome.detail}`)] };
}

function describePlugin(spec: FluentdProbe): string {
  return spec.id ? `output plugin with @id ${spec.id}` : `${spec.type} output plugin`;
}

function summarize(p: PluginEntry): string {
  const retry = p.retry === undefined ? 'not reported (include_retry is off)' : JSON.stringify(p.retry);
  return [
    `retry ${retry}`,
    `buffer_queue_length ${p.buffer_queue_length ?? 0}`,
    `buffer_stage_length ${p.buffer_stage_length ?? 0}`,
    `emit_records ${p.emit_records ?? 0}`,
    `write_count ${p.write_count ?? 0}`,
    `retry_count ${p.retry_count ?? 0} (errors since fluentd started)`,
  ].join(', ');
}
