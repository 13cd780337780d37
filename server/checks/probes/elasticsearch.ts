import { type ElasticsearchProbe, elasticsearchProbe } from '../../../protocol/probes/elasticsearch.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import type { HttpAnswer } from '../../stack/http.ts';
import { ev } from '../evidence.ts';
import { answerEvidence, ask, isAnswer, joinUrl, origin, type ServiceInfo, unexpectedAnswer } from '../http-client.ts';
import { runSteps } from '../steps.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

const ES: ServiceInfo = { name: 'Elasticsearch', start: 'docker compose up -d elasticsearch' };

/** Elasticsearch: cluster health, an index (pattern) exists, a query's document count, the server's major version. */
export const elasticsearchModule: ProbeModule<typeof elasticsearchProbe> = {
  kind: 'elasticsearch',
  schema: elasticsearchProbe,
  defaultTimeout: 5,
  async run(spec, ctx) {
    const base = spec.url ?? ctx.endpoints.es;
    return runSteps([
      spec.health && (() => checkHealth(base, spec.health!, ctx)),
      spec.index && (() => checkIndex(base, spec.index!, ctx)),
      spec.query && (() => checkCount(base, spec, ctx)),
      spec.major && (() => checkMajor(base, spec.major!, ctx)),
    ]);
  },
};

async function get(base: string, path: string, ctx: ProbeContext): Promise<HttpAnswer | CheckResult> {
  return ask(joinUrl(base, path), ES, ctx);
}

async function checkHealth(base: string, allowed: readonly string[], ctx: ProbeContext): Promise<CheckResult> {
  const a = await get(base, '/_cluster/health', ctx);
  if (!isAnswer(a)) return a;
  const status = (a.json as { status?: unknown } | undefined)?.status;
  if (a.status !== 200 || typeof status !== 'string') return unexpectedAnswer(a, ES, 'a cluster health report');
  const evidence = [ev('Cluster health', `status ${status}`), ...answerEvidence(a, 600)];
  if (!allowed.includes(status)) {
    return {
      ok: false,
      message: `Elasticsearch at ${origin(base)} reports cluster status ${status}, and this step needs ${list(allowed)}.`,
      hint:
        status === 'red'
          ? 'Some primary shards are not assigned; look at `docker compose logs elasticsearch` (a full disk or too little memory are the usual causes) and `curl -s "$ES_URL/_cat/shards?v"`.'
          : 'Wait a few seconds and check again; `curl -s "$ES_URL/_cluster/health?pretty"` shows what the cluster is waiting for.',
      evidence,
    };
  }
  return { ok: true, message: `Elasticsearch is up with cluster status ${status}.`, evidence: [evidence[0]!] };
}

async function checkIndex(base: string, index: string, ctx: ProbeContext): Promise<CheckResult> {
  const a = await get(base, `/_cat/indices/${encodeURIComponent(index)}?format=json&h=index,health,docs.count`, ctx);
  if (!isAnswer(a)) return a;
  // A concrete name that does not exist is a 404; a pattern that matches nothing is an empty list.
  const rows = a.status === 200 && Array.isArray(a.json) ? (a.json as { index?: string; 'docs.count'?: string }[]) : undefined;
  if (a.status !== 404 && !rows) return unexpectedAnswer(a, ES, 'a list of indices');
  if (!rows || rows.length === 0) {
    return {
      ok: false,
      message: `Elasticsearch has no index matching ${index}.`,
      hint: index.startsWith('logstash-')
        ? 'fluentd creates the logstash-YYYY.MM.DD index when it first delivers records: run the logging script, wait for the flush interval, then check again (`curl -s "$ES_URL/_cat/indices?v"` lists the indices).'
        : 'Create it or send data to it first; `curl -s "$ES_URL/_cat/indices?v"` lists the indices that exist.',
      evidence: answerEvidence(a, 600),
    };
  }
  const names = rows.map((r) => `${r.index} (${r['docs.count'] ?? '?'} documents)`);
  return {
    ok: true,
    message: rows.length === 1 ? `The index ${rows[0]!.index} exists.` : `${rows.length} indices match ${index}.`,
    evidence: [ev('Indices', names.join('\n'))],
  };
}

async function checkCount(base: string, spec: ElasticsearchProbe, ctx: ProbeContext): Promise<CheckResult> {
  const index = spec.index ?? '_all';
  const query = spec.query!;
  const a = await get(base, `/${encodeURIComponent(index)}/_count?q=${encodeURIComponent(query)}`, ctx);
  if (!isAnswer(a)) return a;
  const count = (a.json as { count?: unknown } | undefined)?.count;
  if (a.status === 404) {
    return {
      ok: false,
      message: `Elasticsearch has no index ${index} to search for ${query}.`,
      hint: 'Send the records first (run the step again), then check; `curl -s "$ES_URL/_cat/indices?v"` lists the indices.',
      evidence: answerEvidence(a, 600),
    };
  }
  if (a.status === 400) {
    return {
      ok: false,
      message: `Elasticsearch could not read the query ${query}.`,
      hint: 'The query string uses Lucene syntax; quote a value that has dashes or spaces, e.g. q="my-marker".',
      evidence: answerEvidence(a, 1200),
    };
  }
  if (a.status !== 200 || typeof count !== 'number') return unexpectedAnswer(a, ES, 'a document count');
  const evidence = [ev('Document count', `${count} in ${index} for q=${query}`)];
  if (count < spec.atLeast) {
    return {
      ok: false,
      message: `Elasticsearch found ${count} ${count === 1 ? 'document' : 'documents'} in ${index} matching ${query}, and at least ${spec.atLeast} ${spec.atLeast === 1 ? 'is' : 'are'} expected.`,
      hint: 'Records reach Elasticsearch only after fluentd flushes its buffer (every few seconds): wait a moment and check again; if the count stays low, look at `docker compose logs fluentd`.',
      evidence,
    };
  }
  return { ok: true, message: `Elasticsearch found ${count} ${count === 1 ? 'document' : 'documents'} matching ${query}.`, evidence };
}

async function checkMajor(base: string, major: number, ctx: ProbeContext): Promise<CheckResult> {
  const a = await get(base, '/', ctx);
  if (!isAnswer(a)) return a;
  const version = (a.json as { version?: { number?: unknown; distribution?: unknown } } | undefined)?.version;
  const number = typeof version?.number === 'string' ? version.number : undefined;
  if (a.status !== 200 || !number) return unexpectedAnswer(a, ES, 'the version banner');
  const product = version?.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch';
  const evidence = [ev('Server version', `${product} ${number}`), ...answerEvidence(a, 800)];
  const actual = Number.parseInt(number, 10);
  if (actual !== major) {
    return {
      ok: false,
      message: `The server at ${origin(base)} is ${product} ${number}, and this step expects major version ${major}.`,
      hint: `fluentd's Elasticsearch client must match the server's major version: pin fluent-plugin-elasticsearch and the elasticsearch gem for ${product} ${actual} in the fluentd Dockerfile (plugin 5.x with gem 8.x for 8, plugin 6.x with gem 9.x for 9), or set the image tag in compose/.env to a ${major}.x version.`,
      evidence,
    };
  }
  return { ok: true, message: `The server is ${product} ${number}.`, evidence: [evidence[0]!] };
}

function list(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}
