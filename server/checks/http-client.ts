import type { CheckResult } from '../../protocol/result.ts';
import { ev, LABEL } from './evidence.ts';
import type { ProbeContext } from './types.ts';
import { clip, errorCode, isAbort, seconds } from './words.ts';

/** An HTTP answer, read in full. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Evidence for a result: the status and the body. */
  evidence: CheckResult['evidence'];
}

/**
 * Sends one request under the probe's deadline. Every way the request can fail that a learner
 * can cause (refused, timed out, bad URL, unknown host) comes back as a failed result that says
 * which service did not answer and how; service probes build on this.
 */
export async function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; name?: string },
  ctx: ProbeContext,
): Promise<{ answer: HttpAnswer } | { failure: CheckResult }> {
  const what = init.name ? `${init.name} at ${url}` : url;
  const subject = `${init.name ?? 'The service'} at ${url}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { failure: { ok: false, message: `The address ${url} is not a valid URL.`, evidence: [] } };
  }
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    if (typeof init.body !== 'string') headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(parsed, { method: init.method ?? 'GET', headers, body, signal: ctx.signal, redirect: 'manual' });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return {
      answer: {
        status: res.status,
        headers: res.headers,
        text,
        json,
        evidence: [
          ev(LABEL.httpStatus, `${init.method ?? 'GET'} ${url} → ${res.status} ${res.statusText}`),
          ev(LABEL.httpBody, clip(text)),
        ],
      },
    };
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) {
      return {
        failure: {
          ok: false,
          message: `${subject} did not answer within ${seconds(ctx.timeoutMs)}.`,
          hint: 'The service may still be starting, or it is stuck; check again in a moment, and read its logs (`docker compose logs <service>`) if it stays like this.',
          evidence: [ev(LABEL.connection, `${init.method ?? 'GET'} ${url}: no answer within ${seconds(ctx.timeoutMs)}`)],
        },
      };
    }
    const code = errorCode(err);
    if (code === 'ECONNREFUSED') {
      return {
        failure: {
          ok: false,
          message: `Nothing answers at ${url} (connection refused): ${init.name ?? 'the service'} is not running, or not on this port.`,
          hint: 'Start it with `docker compose up -d` and see its state with `docker compose ps`.',
          evidence: [ev(LABEL.connection, `${init.method ?? 'GET'} ${url}: connection refused (ECONNREFUSED)`)],
        },
      };
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return {
        failure: { ok: false, message: `The host name in ${url} cannot be resolved.`, evidence: [ev(LABEL.connection, `${url}: ${code}`)] },
      };
    }
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
      return {
        failure: {
          ok: false,
          message: `${subject} closed the connection without an answer; it may be starting or restarting.`,
          hint: 'Check again in a moment; `docker compose ps` shows whether it restarts.',
          evidence: [ev(LABEL.connection, `${url}: ${code}`)],
        },
      };
    }
    // fetch reports what went wrong on the network as a TypeError whose cause says it.
    const why = code ?? (err instanceof TypeError && err.cause instanceof Error ? err.cause.message : undefined);
    if (why)
      return {
        failure: { ok: false, message: `The request to ${what} failed (${why}).`, evidence: [ev(LABEL.connection, `${url}: ${why}`)] },
      };
    throw err;
  }
}
