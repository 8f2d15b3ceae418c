import type { Fault, SimResponse } from '../http.ts';

/**
 * GitHub's rate limits, modelled once: a primary limit of requests per window (answered 403 on
 * REST, 200 with a RATE_LIMITED error on GraphQL, both with x-ratelimit-* headers) and secondary
 * limits (403 or 429 with Retry-After). The simulator counts requests against it; tests that need
 * a limit on particular paths inject the same answers as faults.
 */

export const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
const PRIMARY_MESSAGE = 'API rate limit exceeded for user ID 1.';
const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';

/** Which budget a request draws from, as GitHub's x-ratelimit-resource names it. */
export type RateLimitResource = 'core' | 'graphql';

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** When the window resets, in epoch seconds. */
  reset: number;
  used: number;
}

export function rateLimitHeaders(info: RateLimitInfo, resource: RateLimitResource): Record<string, string> {
  return {
    'x-ratelimit-limit': String(info.limit),
    'x-ratelimit-remaining': String(info.remaining),
    'x-ratelimit-reset': String(info.reset),
    'x-ratelimit-used': String(info.used),
    'x-ratelimit-resource': resource,
  };
}

/** GitHub's answer once the primary limit is used up. */
export function primaryLimitAnswer(info: RateLimitInfo, resource: RateLimitResource): SimResponse {
  const headers = rateLimitHeaders(info, resource);
  if (resource === 'graphql')
    return { status: 200, headers, body: { errors: [{ type: 'RATE_LIMITED', message: PRIMARY_MESSAGE }] } };
  return { status: 403, headers, body: { message: PRIMARY_MESSAGE, documentation_url: RATE_LIMIT_DOCS } };
}

/** GitHub's answer to a request that hit a secondary limit. */
export function secondaryLimitAnswer(
  retryAfterSeconds: number,
  options: { status?: 403 | 429; headers?: Record<string, string> } = {},
): SimResponse {
  return {
    status: options.status ?? 403,
    headers: { ...options.headers, 'retry-after': String(retryAfterSeconds) },
    body: { message: SECONDARY_MESSAGE, documentation_url: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits` },
  };
}

/** The primary limit: `limit` requests per window, then refused until the window resets. */
export class RateLimitWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #remaining: number;
  #resetAt: number;

  constructor(options: { limit: number; windowMs: number; now: () => number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now;
    this.#remaining = options.limit;
    this.#resetAt = this.#now() + options.windowMs;
  }

  /** Counts one request; false when the limit is used up. */
  take(): boolean {
    if (this.#now() >= this.#resetAt) {
      this.#remaining = this.#limit;
      this.#resetAt = this.#now() + this.#windowMs;
    }
    if (this.#remaining <= 0) return false;
    this.#remaining--;
    return true;
  }

  /** Uses up the limit; it resets after `resetInMs`. */
  exhaust(resetInMs: number): void {
    this.#remaining = 0;
    this.#resetAt = this.#now() + resetInMs;
  }

  info(): RateLimitInfo {
    return {
      limit: this.#limit,
      remaining: this.#remaining,
      reset: Math.ceil(this.#resetAt / 1000),
      used: this.#limit - this.#remaining,
    };
  }
}

/** The primary limit's REST answer (X-RateLimit-Remaining: 0, reset now) for the next `times` matching requests. */
export function githubPrimaryRateLimitFault(times: number, path = /./): Fault {
  const answer = primaryLimitAnswer(
    { limit: 5000, remaining: 0, reset: Math.floor(Date.now() / 1000), used: 5000 },
    'core',
  );
  return { path, status: answer.status ?? 403, headers: answer.headers ?? {}, body: answer.body, times };
}

/** A secondary limit's answer (429 by default, or 403, with Retry-After: 1) for the next `times` matching requests. */
export function githubSecondaryRateLimitFault(
  times: number,
  options: { status?: 403 | 429; path?: RegExp } = {},
): Fault {
  const answer = secondaryLimitAnswer(1, { status: options.status ?? 429 });
  return {
    path: options.path ?? /./,
    status: answer.status ?? 429,
    headers: answer.headers ?? {},
    body: answer.body,
    times,
  };
}
