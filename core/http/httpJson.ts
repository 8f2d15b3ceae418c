import type { RetryPolicy } from './retryPolicy.ts';

/**
 * Reads behind a cache: one more attempt after a short wait, and a Retry-After longer than 2 s is
 * not worth it, so fail and let the cache cope.
 */
export const CACHED_READ_RETRY: RetryPolicy = { retries: 1, baseDelayMs: 200, maxWaitMs: 2000 };
