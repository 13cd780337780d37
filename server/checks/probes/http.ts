import { type HttpProbe, httpProbe } from '../../../protocol/probes/http.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { httpRequest } from '../../stack/http.ts';
import { hasPath, matchExpected, show, valueAt } from '../expect.ts';
import { answerEvidence, requestFailedResult } from '../http-client.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

async function run(spec: HttpProbe, ctx: ProbeContext): Promise<CheckResult> {
  const answer = await httpRequest(spec.url, { method: spec.method, headers: spec.headers, body: spec.requestBody, signal: ctx.signal });
  if (answer.kind !== 'answer') return requestFailedResult(answer, spec.name, ctx.timeoutMs);
  const { status, text, json } = answer;
  const evidence = answerEvidence(answer, 4000, 'request');
  const what = spec.name ? `${spec.name} (${spec.method} ${spec.url})` : `${spec.method} ${spec.url}`;
  const statuses = spec.status === undefined ? undefined : Array.isArray(spec.status) ? spec.status : [spec.status];
  const statusOk = statuses ? statuses.includes(status) : status >= 200 && status < 300;
  if (!statusOk) {
    const wanted = statuses ? statuses.join(' or ') : 'a 2xx status';
    return {
      ok: false,
      message: `${what} answered with status ${status}, and the step expects ${wanted}.`,
      hint: 'The answer is shown below; the service may still be starting, or refuse the request.',
      evidence,
    };
  }
  if (spec.json) {
    if (json === undefined) {
      return {
        ok: false,
        message: `${what} answered, but not with JSON.`,
        hint: 'Check that the URL points at the right service.',
        evidence,
      };
    }
    for (const [path, expected] of Object.entries(spec.json)) {
      const value = valueAt(json, path);
      const m = matchExpected(value, hasPath(json, path), expected);
      if (!m.ok) {
        return {
          ok: false,
          message: `${what} answered, but ${path} is ${show(value)}, and the step expects ${m.wanted}.`,
          hint: 'Check again in a moment if the service is still starting.',
          evidence,
        };
      }
    }
  }
  if (spec.body !== undefined && !new RegExp(spec.body, 'm').test(text)) {
    return { ok: false, message: `${what} answered, but its body does not show what the step expects (/${spec.body}/).`, evidence };
  }
  if (spec.notBody !== undefined) {
    const m = new RegExp(spec.notBody, 'm').exec(text);
    if (m) return { ok: false, message: `${what} answered with "${m[0].trim()}", which means the step has not worked yet.`, evidence };
  }
  return { ok: true, message: `${what} answered as expected (status ${status}).`, evidence };
}

export const httpModule: ProbeModule<typeof httpProbe> = { kind: 'http', schema: httpProbe, defaultTimeout: 5, run };
