import type { CheckResult, Evidence } from '../protocol/result.ts';
import { ev, LABEL } from './checks/evidence.ts';
import { clip, errorCode, isAbort, seconds } from './checks/words.ts';

/**
 * A small fetch with a deadline for the service probes. It never throws for what a service can
 * do (refuse, hang, reset, answer garbage): every outcome is a value, so a probe turns each into
 * a sentence for the learner. Bodies are read up to a limit, because a probe only needs an
 * excerpt and a wrong URL can point at something large.
 */

/** The service answered with an HTTP status (any status). */
export interface HttpAnswer {
  kind: 'answer';
  url: string;
  status: number;
  /** The body as text, cut at the read limit. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** The service could not be asked: nothing listens, it hung up, it is silent, or the URL is bad. */
export interface HttpFailure {
  kind: 'refused' | 'timeout' | 'unreachable';
  url: string;
  /** The system error code (ECONNREFUSED, ENOTFOUND, ...), when there is one. */
  code?: string;
  /** The underlying error message, for the evidence. */
  detail: string;
}

export type HttpOutcome = HttpAnswer | HttpFailure;

/** Options of one request. */
export interface HttpJsonOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A value sent as a JSON body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The probe's deadline (ProbeContext.signal); required so that no request can hang a check. */
  signal: AbortSignal;
  /** How many characters of the body to keep (default 1 MB). */
  maxChars?: number;
}

const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/** Sends one request and reads the answer as text and, when it parses, as JSON. */
export async function httpJson(url: string, options: HttpJsonOptions): Promise<HttpOutcome> {
  const { signal, maxChars = 1_000_000 } = options;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(url, { method: options.method ?? 'GET', headers, body, signal, redirect: 'manual' });
    const text = await readText(res, maxChars, signal);
    return { kind: 'answer', url, status: res.status, text, json: parseJson(text) };
  } catch (err) {
    const detail = errorText(err);
    if (signal.aborted || isAbort(err)) return { kind: 'timeout', url, detail };
    const code = errorCode(err);
    if (code && REFUSED.has(code)) return { kind: 'refused', url, code, detail };
    return { kind: 'unreachable', url, code, detail };
  }
}

/** Reads at most `max` characters of a body, then cancels the rest of the stream. */
async function readText(res: Response, max: number, signal: AbortSignal): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      // fetch aborts the body stream when its signal fires, so this read cannot outlive the deadline.
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } finally {
    if (text.length >= max || signal.aborted) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return text.length > max ? text.slice(0, max) : text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(': ') || String(err);
}

/** Who a probe is talking to, for its sentences. */
export interface ServiceInfo {
  /** The name a learner knows: "Elasticsearch", "the MLflow server". */
  name: string;
  /** The command that starts it, e.g. "docker compose up -d elasticsearch". */
  start: string;
}

/**
 * The failed result for a request that got no HTTP answer: "not running" at once for a refused
 * connection, a timeout sentence for a silent service, the error text otherwise.
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

/** Evidence for an HTTP answer: its status and an excerpt of its body. */
export function answerEvidence(answer: HttpAnswer, maxChars = 2000): Evidence[] {
  const path = answer.url.replace(/^https?:\/\/[^/]+/, '') || '/';
  return [ev(LABEL.httpStatus, `${answer.status} from ${path}`), ev(LABEL.httpBody, clip(answer.text, maxChars))];
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

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * One request on behalf of a probe: the answer when there is one (whatever its status), else the
 * failed result that says why there was none. `ctx` is the probe's context (its deadline).
 */
export async function ask(
  url: string,
  service: ServiceInfo,
  ctx: { signal: AbortSignal; timeoutMs: number },
  options: Omit<HttpJsonOptions, 'signal'> = {},
): Promise<HttpAnswer | CheckResult> {
  const outcome = await httpJson(url, { ...options, signal: ctx.signal });
  return outcome.kind === 'answer' ? outcome : noAnswerResult(outcome, service, ctx.timeoutMs);
}

/** True for an HTTP answer, false for the failed result `ask` returns instead. */
export function isAnswer(x: HttpAnswer | CheckResult): x is HttpAnswer {
  return 'kind' in x && x.kind === 'answer';
}

/** The failed result for an answer with an unexpected status or shape. */
export function unexpectedAnswer(answer: HttpAnswer, service: ServiceInfo, what: string, hint?: string): CheckResult {
  const path = answer.url.replace(/^https?:\/\/[^/]+/, '') || '/';
  return {
    ok: false,
    message: `${cap(service.name)} answered ${path} with HTTP ${answer.status}, which is not ${what}.`,
    hint: hint ?? `Look at the response below and at the service's logs (\`docker compose logs\`).`,
    evidence: answerEvidence(answer),
  };
}
