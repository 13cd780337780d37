import { errorCode, isAbort } from '../words.ts';

/**
 * The one HTTP client of the probes and of the stack status panel: a small fetch with a deadline.
 * It never throws for what a service or an address can do (refuse, hang, reset, answer garbage,
 * be no URL at all): every outcome is a value, which server/checks/http-client.ts turns into a
 * sentence for the learner. Bodies are read up to a limit, because a probe only needs an excerpt
 * and a wrong URL can point at something large.
 */

/** The service answered with an HTTP status (any status). */
export interface HttpAnswer {
  kind: 'answer';
  url: string;
  method: string;
  status: number;
  statusText: string;
  headers: Headers;
  /** The body as text, cut at the read limit. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** The service could not be asked: nothing listens, it hung up, it is silent, or the URL is bad. */
export interface HttpFailure {
  kind: 'refused' | 'timeout' | 'unreachable';
  url: string;
  method: string;
  /** The system error code (ECONNREFUSED, ENOTFOUND, ERR_INVALID_URL, ...), when there is one. */
  code?: string;
  /** The underlying error message, for the evidence. */
  detail: string;
}

export type HttpOutcome = HttpAnswer | HttpFailure;

/** Options of one request. */
export interface HttpOptions {
  method?: string;
  /** The request body: a string is sent as it is, any other value as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The deadline (ProbeContext.signal for a probe); required so that no request can hang. */
  signal: AbortSignal;
  /** How many characters of the body to keep (default 1 MB). */
  maxChars?: number;
}

/** Codes that mean the service is not there to answer (as opposed to a bad address). */
const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/** Sends one request and reads the answer as text and, when it parses, as JSON. */
export async function httpRequest(url: string, options: HttpOptions): Promise<HttpOutcome> {
  const { signal, maxChars = 1_000_000 } = options;
  const method = options.method ?? 'GET';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'unreachable', url, method, code: 'ERR_INVALID_URL', detail: 'not a valid URL' };
  }
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(parsed, { method, headers, body, signal, redirect: 'manual' });
    const text = await readText(res, maxChars, signal);
    return {
      kind: 'answer',
      url,
      method,
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
      text,
      json: parseJson(text),
    };
  } catch (err) {
    const detail = errorText(err);
    if (signal.aborted || isAbort(err)) return { kind: 'timeout', url, method, detail };
    const code = errorCode(err);
    if (code && REFUSED.has(code)) return { kind: 'refused', url, method, code, detail };
    return { kind: 'unreachable', url, method, code, detail };
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

/** The messages of an error and of its causes ("fetch failed: connect ECONNREFUSED ..."). */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(': ') || String(err);
}
