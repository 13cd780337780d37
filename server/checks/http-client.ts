import type { CheckResult, Evidence } from '../../protocol/result.ts';
import { type HttpAnswer, type HttpFailure, type HttpOptions, httpRequest } from '../stack/http.ts';
import { clip, seconds } from '../words.ts';
import { ev, LABEL } from './evidence.ts';

/**
 * What the probes make of an HTTP outcome (server/stack/http.ts): a sentence for the learner for
 * every way a service can fail to answer, the evidence of an answer, and the service's address.
 */

/** Who a service probe is talking to, for its sentences. */
export interface ServiceInfo {
  /** The name a learner knows: "Elasticsearch", "the MLflow server". */
  name: string;
  /** The command that starts it, e.g. "docker compose up -d elasticsearch". */
  start: string;
}

/**
 * The failed result of a service probe's request that got no HTTP answer: "not running" at once
 * for a refused connection, a timeout sentence for a silent service, the error text otherwise.
 */
export function noAnswerResult(outcome: HttpFailure, service: ServiceInfo, timeoutMs: number): CheckResult {
  const evidence: Evidence[] = [ev(LABEL.connection, `${outcome.url}: ${outcome.detail}`)];
  switch (outcome.kind) {
    case 'refused':
      return {
        ok: false,
        message: `${cap(service.name)} is not running at ${origin(outcome.url)}: the connection was refused.`,
        hint: `Start it with \`${service.start}\`, then check again.`,
        evidence,
      };
    case 'timeout':
      return {
        ok: false,
        message: `${cap(service.name)} at ${origin(outcome.url)} accepted the connection but did not answer within ${seconds(timeoutMs)}.`,
        hint: `It may still be starting or be overloaded; check again in a moment, and read its logs (\`docker compose logs\`) if it stays like this.`,
        evidence,
      };
    case 'unreachable':
      return {
        ok: false,
        message: `${cap(service.name)} could not be reached at ${origin(outcome.url)}: ${outcome.detail}.`,
        hint: `Check the address in your endpoints settings and that it runs (\`${service.start}\`).`,
        evidence,
      };
  }
}

/**
 * The failed result of a request to an address a step names (the generic http probe), where the
 * service is known only by an optional name: the sentence says what the code means.
 */
export function requestFailedResult(outcome: HttpFailure, name: string | undefined, timeoutMs: number): CheckResult {
  const { url, method, code } = outcome;
  const subject = `${name ?? 'The service'} at ${url}`;
  if (outcome.kind === 'timeout') {
    return {
      ok: false,
      message: `${subject} did not answer within ${seconds(timeoutMs)}.`,
      hint: 'The service may still be starting, or it is stuck; check again in a moment, and read its logs (`docker compose logs <service>`) if it stays like this.',
      evidence: [ev(LABEL.connection, `${method} ${url}: no answer within ${seconds(timeoutMs)}`)],
    };
  }
  switch (code) {
    case 'ERR_INVALID_URL':
      return {
        ok: false,
        message: `The address ${url} is not a valid URL.`,
        evidence: [ev(LABEL.connection, `${url}: ${outcome.detail}`)],
      };
    case 'ECONNREFUSED':
      return {
        ok: false,
        message: `Nothing answers at ${url} (connection refused): ${name ?? 'the service'} is not running, or not on this port.`,
        hint: 'Start it with `docker compose up -d` and see its state with `docker compose ps`.',
        evidence: [ev(LABEL.connection, `${method} ${url}: connection refused (ECONNREFUSED)`)],
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { ok: false, message: `The host name in ${url} cannot be resolved.`, evidence: [ev(LABEL.connection, `${url}: ${code}`)] };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return {
        ok: false,
        message: `${subject} closed the connection without an answer; it may be starting or restarting.`,
        hint: 'Check again in a moment; `docker compose ps` shows whether it restarts.',
        evidence: [ev(LABEL.connection, `${url}: ${code}`)],
      };
  }
  const why = code ?? outcome.detail;
  const what = name ? `${name} at ${url}` : url;
  return { ok: false, message: `The request to ${what} failed (${why}).`, evidence: [ev(LABEL.connection, `${url}: ${why}`)] };
}

/**
 * Evidence for an HTTP answer: its status and an excerpt of its body. The status line names the
 * path (`'path'`, for a service whose origin the message already names) or the whole request
 * (`'request'`, for an address a step names).
 */
export function answerEvidence(answer: HttpAnswer, maxChars = 2000, show: 'path' | 'request' = 'path'): Evidence[] {
  const status =
    show === 'path'
      ? `${answer.status} from ${pathOf(answer.url)}`
      : `${answer.method} ${answer.url} → ${answer.status} ${answer.statusText}`;
  return [ev(LABEL.httpStatus, status), ev(LABEL.httpBody, clip(answer.text, maxChars))];
}

/** "http://127.0.0.1:9200" for any URL on that origin (the address a learner recognises). */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function pathOf(url: string): string {
  return url.replace(/^https?:\/\/[^/]+/, '') || '/';
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * One request on behalf of a service probe: the answer when there is one (whatever its status),
 * else the failed result that says why there was none. `ctx` is the probe's context (its deadline).
 */
export async function ask(
  url: string,
  service: ServiceInfo,
  ctx: { signal: AbortSignal; timeoutMs: number },
  options: Omit<HttpOptions, 'signal'> = {},
): Promise<HttpAnswer | CheckResult> {
  const headers = { accept: 'application/json', ...options.headers };
  const outcome = await httpRequest(url, { ...options, headers, signal: ctx.signal });
  return outcome.kind === 'answer' ? outcome : noAnswerResult(outcome, service, ctx.timeoutMs);
}

/** True for an HTTP answer, false for the failed result `ask` returns instead. */
export function isAnswer(x: HttpAnswer | CheckResult): x is HttpAnswer {
  return 'kind' in x && x.kind === 'answer';
}

/** The failed result for an answer with an unexpected status or shape. */
export function unexpectedAnswer(answer: HttpAnswer, service: ServiceInfo, what: string, hint?: string): CheckResult {
  return {
    ok: false,
    message: `${cap(service.name)} answered ${pathOf(answer.url)} with HTTP ${answer.status}, which is not ${what}.`,
    hint: hint ?? `Look at the response below and at the service's logs (\`docker compose logs\`).`,
    evidence: answerEvidence(answer),
  };
}
