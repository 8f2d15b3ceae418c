import { formatDuration } from '../config/duration.ts';
import { errorMessage, UpstreamError } from '../errors.ts';
import { retryAfterMs } from './retryAfter.ts';

export interface JsonRequest {
  /** Named in errors: "dataset catalog", "Argo Workflows". */
  system: string;
  url: URL;
  token?: string | undefined;
  timeoutMs: number;
}

/** Retry-After waits longer than this are not worth it for a read: fail and let the cache cope. */
const MAX_RETRY_WAIT_MS = 2000;
const RETRIED = new Set([429, 502, 503, 504]);

function problemOf(body: string): string {
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

/**
 * GET a JSON document. Slow answers are cut at the timeout; a 429 or 5xx with a short Retry-After
 * (or none) is tried once more. Every failure is an UpstreamError naming the system and what went
 * wrong, with the HTTP status when there was one.
 */
export async function getJson(req: JsonRequest): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(req.url, {
        headers: {
          accept: 'application/json',
          ...(req.token
            ? { authorization: /^bearer /i.test(req.token) ? req.token : `Bearer ${req.token}` }
            : {}),
        },
        signal: AbortSignal.timeout(req.timeoutMs),
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : errorMessage(error);
      throw new UpstreamError(
        req.system,
        timedOut ? `no answer within ${formatDuration(req.timeoutMs)}` : `unreachable (${cause})`,
        undefined,
        { cause: error },
      );
    }
    const body = await response.text().catch(() => '');
    if (response.ok) {
      try {
        return JSON.parse(body) as unknown;
      } catch (error) {
        throw new UpstreamError(req.system, 'answered with something that is not JSON', response.status, {
          cause: error,
        });
      }
    }
    const wait = retryAfterMs(response.headers.get('retry-after'));
    if (attempt === 1 && RETRIED.has(response.status) && (wait ?? 0) <= MAX_RETRY_WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait ?? 200));
      continue;
    }
    const problem = problemOf(body);
    throw new UpstreamError(
      req.system,
      `answered HTTP ${response.status}${problem ? `: ${problem}` : ''}`,
      response.status,
    );
  }
}
