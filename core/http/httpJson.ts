import { bearer, JsonClient } from './jsonClient.ts';
import type { RetryPolicy } from './retryPolicy.ts';

export interface JsonRequest {
  /** Named in errors: "dataset catalog", "Argo Workflows". */
  system: string;
  url: URL;
  token?: string | undefined;
  timeoutMs: number;
  /** The environment variable holding the token, named when it is refused. */
  credential?: string | undefined;
  /** The `system` label its calls are counted under (core/metrics.ts SYSTEMS); default "other". */
  metricsSystem?: string;
}

/**
 * Reads behind a cache: one more attempt after a short wait, and a Retry-After longer than 2 s is
 * not worth it, so fail and let the cache cope.
 */
export const CACHED_READ_RETRY: RetryPolicy = { retries: 1, baseDelayMs: 200, maxWaitMs: 2000 };

/**
 * GET a JSON document with JsonClient under CACHED_READ_RETRY. Every failure is an UpstreamError
 * naming the system and what went wrong, with the HTTP status when there was one.
 */
export function getJson(req: JsonRequest): Promise<unknown> {
  const { token } = req;
  const client = new JsonClient({
    system: req.system,
    metricsSystem: req.metricsSystem ?? 'other',
    timeoutMs: req.timeoutMs,
    retry: CACHED_READ_RETRY,
    credential: req.credential,
    ...(token ? { authorization: () => bearer(token) } : {}),
  });
  return client.request({ url: req.url, expectBody: true });
}
