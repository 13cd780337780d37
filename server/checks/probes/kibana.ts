import { kibanaProbe } from '../../../protocol/probes/kibana.ts';
import type { CheckResult, Evidence } from '../../../protocol/result.ts';
import { ev } from '../evidence.ts';
import { answerEvidence, ask, isAnswer, joinUrl, origin, type ServiceInfo, unexpectedAnswer } from '../http-client.ts';
import { runSteps } from '../steps.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

const KIBANA: ServiceInfo = { name: 'Kibana', start: 'docker compose up -d kibana' };
const NOT_READY = 'Kibana server is not ready yet';

/** Kibana: its overall status level, and whether a data view with a given title exists. */
export const kibanaModule: ProbeModule<typeof kibanaProbe> = {
  kind: 'kibana',
  schema: kibanaProbe,
  // Kibana's status API is slow while it starts (it asks every plugin); give it more than ES.
  defaultTimeout: 10,
  async run(spec, ctx) {
    const base = spec.url ?? ctx.endpoints.kibana;
    return runSteps([
      spec.status && (() => checkStatus(base, spec.status!, ctx)),
      spec.dataView && (() => checkDataView(base, spec.dataView!, ctx)),
    ]);
  },
};

/** The answer Kibana gives on every route until it reaches Elasticsearch. */
function notReady(text: string, status: number): boolean {
  return status === 503 && text.includes(NOT_READY);
}

function notReadyResult(base: string, evidence: Evidence[]): CheckResult {
  return {
    ok: false,
    message: `Kibana at ${origin(base)} is running but not ready yet: it answers "${NOT_READY}".`,
    hint: 'Kibana waits for Elasticsearch; check `curl -s "$ES_URL/_cluster/health"`, then check again in a minute (`docker compose logs kibana` shows what it waits for).',
    evidence,
  };
}

async function checkStatus(base: string, allowed: readonly string[], ctx: ProbeContext): Promise<CheckResult> {
  const a = await ask(joinUrl(base, '/api/status'), KIBANA, ctx);
  if (!isAnswer(a)) return a;
  if (notReady(a.text, a.status)) return notReadyResult(base, answerEvidence(a, 200));
  const overall = (a.json as { status?: { overall?: { level?: unknown; summary?: unknown } } } | undefined)?.status?.overall;
  // Kibana answers 503 with the full report while its level is unavailable or critical.
  if ((a.status !== 200 && a.status !== 503) || typeof overall?.level !== 'string') {
    return unexpectedAnswer(a, KIBANA, 'a status report');
  }
  const level = overall.level;
  const summary = typeof overall.summary === 'string' ? overall.summary : '';
  const evidence = [ev('Kibana status', summary ? `${level}: ${summary}` : level)];
  if (!allowed.includes(level)) {
    return {
      ok: false,
      message: `Kibana's overall status is ${level}${summary ? ` (${summary})` : ''}, and this step needs ${allowed.join(' or ')}.`,
      hint: 'Open the status page of Kibana ($KIBANA_URL/status) to see which service is not available, and read `docker compose logs kibana`; most often Elasticsearch is still starting.',
      evidence: [...evidence, ...answerEvidence(a, 1500)],
    };
  }
  return { ok: true, message: `Kibana is ${level}.`, evidence };
}

async function checkDataView(base: string, title: string, ctx: ProbeContext): Promise<CheckResult> {
  const a = await ask(joinUrl(base, '/api/data_views'), KIBANA, ctx);
  if (!isAnswer(a)) return a;
  if (notReady(a.text, a.status)) return notReadyResult(base, answerEvidence(a, 200));
  const views = (a.json as { data_view?: unknown } | undefined)?.data_view;
  if (a.status !== 200 || !Array.isArray(views)) return unexpectedAnswer(a, KIBANA, 'a list of data views');
  const titles = views.map((v) => (v as { title?: unknown }).title).filter((t): t is string => typeof t === 'string');
  const evidence = [ev('Data views', titles.length > 0 ? titles.join('\n') : '(none)')];
  if (!titles.includes(title)) {
    return {
      ok: false,
      message:
        titles.length === 0
          ? `Kibana has no data views yet, and this step needs one for ${title}.`
          : `Kibana has no data view for ${title} (it has ${titles.join(', ')}).`,
      hint: `Create it in Kibana under Stack Management, Data Views, Create data view, with the index pattern ${title} and the timestamp field @timestamp; or run \`curl -X POST "$KIBANA_URL/api/data_views/data_view" -H 'kbn-xsrf: true' -H 'Content-Type: application/json' -d '{"data_view":{"title":"${title}","timeFieldName":"@timestamp"}}'\`.`,
      evidence,
    };
  }
  return { ok: true, message: `Kibana has a data view for ${title}.`, evidence };
}
