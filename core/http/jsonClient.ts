import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.ts';
import { errorMessage, NotJsonAnswerError, TruncatedAnswerError, UpstreamError } from '../errors.ts';
import { pause, throwIfAborted } from './abort.ts';
import { reportOutbound } from './outbound.ts';
import { retryAfterMs } from './retryAfter.ts';
import { backoffMs, isIdempotent, RETRIED_STATUSES, type RetryPolicy, retryWaitMs } from './retryPolicy.ts';

export interface JsonCall {
  method?: string;
  /** Absolute, or a path appended to the base URL's own path (so a base behind /catalog/ works). */
  url: URL | string;
  query?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (OAuth token requests). */
  form?: URLSearchParams;
  /** The caller's own deadline or cancellation, on top of the client's per-request timeout. */
  signal?: AbortSignal;
  /** An empty 2xx body is an error too (a document was asked for), not undefined. */
  expectBody?: boolean;
  /** Put before the problem in error messages: "GET /api/v1/applications/web", "/users". */
  context?: string;
  /**
   * This call's retry policy instead of the client's: one client can serve both reads worth
   * another attempt and operations whose caller decides itself whether to try again.
   */
  retry?: RetryPolicy;
}

/**
 * A call that got no usable answer, for a client's own error mapping: none within the timeout,
 * no connection (after the retries allowed), or a 2xx body that is not JSON.
 */
export type CallFailure =
  | { kind: 'timeout' | 'unreachable'; method: string; url: URL; error: unknown }
  | { kind: 'notJson'; method: string; url: URL; status: number; text: string };

/** A non-2xx answer, for a client's own error mapping. */
export interface HttpAnswer {
  method: string;
  url: URL;
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed, or undefined when it is empty or not JSON. */
  json: unknown;
}

export interface JsonClientOptions {
  /** Named in every error: "dataset catalog", "Argo CD". */
  system: string;
  /** The `system` label its calls are counted and timed under (core/metrics.ts SYSTEMS). */
  metricsSystem: string;
  /** Needed for relative call URLs. */
  baseUrl?: string | undefined;
  /** Per attempt; leave out when the caller's signal bounds the whole exchange. */
  timeoutMs?: number | undefined;
  retry: RetryPolicy;
  /** The Authorization header's value for each attempt (a token may be refreshed between them). */
  authorization?: (signal: AbortSignal | undefined) => string | undefined | Promise<string | undefined>;
  /** Called on a 401; return true when the credentials were renewed and one more attempt is worth it. */
  onUnauthorized?: () => boolean;
  /** Answers the API uses for "rate limited" besides 429 (Google's 403 rateLimitExceeded). */
  rateLimited?: (answer: HttpAnswer) => boolean;
  /**
   * The error for a failed answer that is not retried (any more); undefined, or no hook, for the
   * default UpstreamError (so a client can map some calls its own way and leave others).
   */
  errorFor?: (answer: HttpAnswer, call: JsonCall) => Error | undefined;
  /** Like errorFor, for a call that got no usable answer (CallFailure); a caller's cancellation is not one. */
  failureFor?: (failure: CallFailure, call: JsonCall) => Error | undefined;
  /** The environment variable holding the credential, named when it is refused. */
  credential?: string | undefined;
  log?: Pick<Logger, 'warn'> | undefined;
}

/** A token as an Authorization value: as is when it already says "Bearer". */
export function bearer(token: string): string {
  return /^bearer /i.test(token) ? token : `Bearer ${token}`;
}

/** The message an error body carries (`message`, `error` or `detail`), else its text if short. */
export function problemOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['message', 'error', 'detail']) {
      const value = parsed[key];
      if (typeof value === 'string' && value !== '') return value.slice(0, 200);
    }
  } catch {
    // Not JSON: the text itself, if short, says more than nothing.
  }
  return body.trim().slice(0, 200);
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function timedOut(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** undici reports "fetch failed" and keeps what happened (ECONNREFUSED …) in its cause. */
function causeOf(error: unknown): string {
  return error instanceof Error && error.cause instanceof Error ? error.cause.message : errorMessage(error);
}

/**
 * The one HTTP JSON client of the hand-written integrations (Argo CD, the dataset catalog, Google,
 * Argo Workflows): a timeout per attempt, the retry policy of retryPolicy.ts with Retry-After
 * honoured, a non-JSON 2xx answer reported as such, and every failure an UpstreamError that names
 * the system, the request and the problem.
 */
export class JsonClient {
  readonly #options: JsonClientOptions;

  constructor(options: JsonClientOptions) {
    this.#options = options;
  }

  get system(): string {
    return this.#options.system;
  }

  #report(status: number | string, started: number): void {
    reportOutbound({
      system: this.#options.metricsSystem,
      status,
      seconds: (performance.now() - started) / 1000,
    });
  }

  /** The parsed body of a 2xx answer; undefined when the body is empty (a 204). */
  async request(call: JsonCall): Promise<unknown> {
    const { system } = this.#options;
    const policy = call.retry ?? this.#options.retry;
    const method = (call.method ?? 'GET').toUpperCase();
    const url = this.#resolve(call);
    const retriable = isIdempotent(method);
    const where = call.context ? `${call.context}: ` : '';
    let refreshed = false;
    for (let retries = 0; ; ) {
      if (call.signal) throwIfAborted(call.signal, system);
      const headers: Record<string, string> = { accept: 'application/json' };
      const authorization = await this.#options.authorization?.(call.signal);
      if (authorization) headers.authorization = authorization;
      let body: string | undefined;
      if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(call.json);
      } else if (call.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = call.form.toString();
      }
      const signal = this.#signal(call.signal);
      let response: Response;
      const started = performance.now();
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          ...(signal ? { signal } : {}),
        });
        this.#report(response.status, started);
      } catch (error) {
        this.#report(timedOut(error) ? 'timeout' : 'error', started);
        if (call.signal) throwIfAborted(call.signal, system);
        if (timedOut(error)) throw this.#failure({ kind: 'timeout', method, url, error }, call, where);
        // undici reports every network failure as "fetch failed" with a cause; anything else is
        // a mistake in the request (a GET with a body), not the system's.
        if (!(error instanceof Error) || error.cause === undefined) throw error;
        if (retriable && retries < policy.retries) {
          retries++;
          await this.#wait(backoffMs(policy, retries), call, {
            retry: retries,
            problem: causeOf(error),
          });
          continue;
        }
        throw this.#failure({ kind: 'unreachable', method, url, error }, call, where);
      }

      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (call.signal) throwIfAborted(call.signal, system);
        if (timedOut(error)) throw this.#failure({ kind: 'timeout', method, url, error }, call, where);
        if (response.ok)
          throw new TruncatedAnswerError(system, `${where}the answer broke off (${causeOf(error)})`);
        text = '';
      }
      if (response.ok) {
        if (text.trim() === '' && !call.expectBody) return undefined;
        const json = parsed(text);
        if (json === undefined)
          throw this.#failure({ kind: 'notJson', method, url, status: response.status, text }, call, where);
        return json;
      }

      const answer: HttpAnswer = {
        method,
        url,
        status: response.status,
        headers: response.headers,
        text,
        json: parsed(text),
      };
      if (response.status === 401 && !refreshed && this.#options.onUnauthorized?.()) {
        refreshed = true;
        continue;
      }
      const retryAfter = response.headers.get('retry-after');
      const limited = RETRIED_STATUSES.has(response.status) || (this.#options.rateLimited?.(answer) ?? false);
      if (limited && retriable && retries < policy.retries) {
        const wait = retryWaitMs(policy, retries + 1, retryAfter);
        if (wait !== undefined) {
          retries++;
          await this.#wait(wait, call, { retry: retries, status: response.status });
          continue;
        }
      }
      throw this.#options.errorFor?.(answer, call) ?? this.#error(where, answer, limited ? retryAfter : null);
    }
  }

  #resolve(call: JsonCall): URL {
    let url: URL;
    if (call.url instanceof URL) url = new URL(call.url);
    else if (/^https?:\/\//i.test(call.url)) url = new URL(call.url);
    else {
      if (!this.#options.baseUrl)
        throw new TypeError(`${this.#options.system}: a relative URL needs the client's baseUrl`);
      const base = new URL(this.#options.baseUrl);
      url = new URL(`${base.pathname.replace(/\/+$/, '')}${call.url}`, base);
    }
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, value);
    return url;
  }

  #signal(caller: AbortSignal | undefined): AbortSignal | undefined {
    const { timeoutMs } = this.#options;
    if (timeoutMs === undefined) return caller;
    const timeout = AbortSignal.timeout(timeoutMs);
    return caller ? AbortSignal.any([caller, timeout]) : timeout;
  }

  #failure(failure: CallFailure, call: JsonCall, where: string): Error {
    const mapped = this.#options.failureFor?.(failure, call);
    if (mapped) return mapped;
    const { system, timeoutMs } = this.#options;
    switch (failure.kind) {
      case 'timeout': {
        const within = timeoutMs === undefined ? '' : ` within ${formatDuration(timeoutMs)}`;
        return new UpstreamError(system, `${where}no answer${within}`, undefined, { cause: failure.error });
      }
      case 'unreachable':
        return new UpstreamError(system, `${where}unreachable (${causeOf(failure.error)})`, undefined, {
          cause: failure.error,
        });
      case 'notJson':
        return new NotJsonAnswerError(
          system,
          `${where}answered with something that is not JSON`,
          failure.status,
        );
    }
  }

  #error(where: string, answer: HttpAnswer, retryAfter: string | null): UpstreamError {
    const problem = problemOf(answer.text);
    const { credential } = this.#options;
    let hint = '';
    if ((answer.status === 401 || answer.status === 403) && credential)
      hint = ` (check ${credential}: ${answer.status === 401 ? 'it was refused, it may have expired' : 'it lacks the permission'})`;
    const asked = retryAfterMs(retryAfter);
    if (asked !== undefined && asked > 0) hint += `; try again in ${formatDuration(asked)}`;
    return new UpstreamError(
      this.#options.system,
      `${where}answered HTTP ${answer.status}${problem ? `: ${problem}` : ''}${hint}`,
      answer.status,
    );
  }

  async #wait(
    ms: number,
    call: JsonCall,
    what: { retry: number; status?: number; problem?: string },
  ): Promise<void> {
    this.#options.log?.warn(
      { system: this.#options.system, ...what, request: call.context, waitMs: ms },
      `${this.#options.system}: retrying after ${what.status === undefined ? what.problem : `HTTP ${what.status}`}`,
    );
    await pause(ms, call.signal, this.#options.system);
  }
}
