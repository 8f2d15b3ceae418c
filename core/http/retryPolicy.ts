import { retryAfterMs } from './retryAfter.ts';

/**
 * How often, and how patiently, a request is tried again. The same rule holds for every HTTP
 * integration: only idempotent methods are retried (a lost answer to a POST may hide an operation
 * that did start), and only on answers that say "not now" rather than "no": 429 and the gateway
 * errors 502, 503 and 504, plus a connection that could not be made or was dropped. A timeout is
 * not retried: the caller's own deadline is spent already.
 */
export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** The wait before the first retry when the server names none; doubled for each further one. */
  baseDelayMs: number;
  /** A Retry-After longer than this is not waited out: the answer is reported instead. */
  maxWaitMs: number;
}

export const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** RFC 9110's idempotent methods. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** The wait before retry number `retry` (1 for the first) when the server names none. */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxWaitMs, policy.baseDelayMs * 2 ** (retry - 1));
}

/**
 * The wait before retry number `retry` (1 for the first), or undefined when the server asks for
 * a longer wait than the policy allows.
 */
export function retryWaitMs(
  policy: RetryPolicy,
  retry: number,
  retryAfter: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const asked = retryAfterMs(retryAfter, now);
  if (asked !== undefined) return asked <= policy.maxWaitMs ? asked : undefined;
  return backoffMs(policy, retry);
}
