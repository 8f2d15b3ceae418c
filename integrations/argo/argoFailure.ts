import { formatDuration } from '../../core/config/duration.ts';
import { errorMessage, NotJsonAnswerError, UpstreamError } from '../../core/errors.ts';
import { retryAfterMs } from '../../core/http/retryAfter.ts';
import type { GrpcError } from './types.ts';

export const ARGO = 'Argo Workflows';

/** A non-2xx answer as read off the wire: what argoFailure needs of it. */
export interface ArgoAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** Reads a failed response's body (when it can) for argoFailure. */
export async function argoAnswer(response: Response): Promise<ArgoAnswer> {
  // The body is only for the message; the status says enough when it cannot be read.
  const text = await response.text().catch(() => '');
  return { status: response.status, headers: response.headers, text };
}

/**
 * A non-2xx answer of argo-server as an UpstreamError that names the operation (`what`) and the
 * setting or permission to check, with grpc-gateway's own message when it sent one.
 */
export function argoFailure(answer: ArgoAnswer, what: string): UpstreamError {
  let detail: string;
  try {
    const body = JSON.parse(answer.text) as GrpcError;
    detail = body.message ?? body.error ?? answer.text;
  } catch {
    detail = answer.text;
  }
  detail = detail.trim().slice(0, 300);
  const { status } = answer;
  const suffix = detail ? `: ${detail}` : '';
  const message =
    status === 401
      ? `refused dpbot's token (401) when asked to ${what}; check ARGO_TOKEN${suffix}`
      : status === 403
        ? `dpbot's service account may not ${what} (403)${suffix}`
        : status === 404
          ? `could not ${what}: not found (404)${suffix}`
          : status === 409
            ? `could not ${what}: conflict (409)${suffix}`
            : status === 429
              ? `is rate limiting dpbot (429) when asked to ${what}; try again in ${formatDuration(Math.max(1000, retryAfterMs(answer.headers.get('retry-after')) ?? 60_000))}`
              : status >= 500
                ? `failed (${status}) when asked to ${what}${suffix}`
                : `rejected the request to ${what} (${status})${suffix}`;
  return new UpstreamError(ARGO, message, status);
}

/** Where dpbot's requests go, for the messages of requests that got no answer. */
export interface ArgoServer {
  /** The configured base URL, named when it cannot be reached. */
  base: string;
  timeoutMs: number;
}

/**
 * A request to `what` that got no answer: none in time (a write may have been done all the same,
 * so the message says to check before trying again), or no connection to the server at all.
 */
export function argoNoAnswer(
  failure: { kind: 'timeout' | 'unreachable'; method: string; error: unknown },
  what: string,
  server: ArgoServer,
): UpstreamError {
  const { error } = failure;
  if (failure.kind === 'timeout')
    return new UpstreamError(
      ARGO,
      `did not answer within ${formatDuration(server.timeoutMs)} when asked to ${what}; ${
        failure.method === 'GET'
          ? 'it may be overloaded or unreachable'
          : 'it may have done it all the same, so check in Argo before trying again'
      }`,
      undefined,
      { cause: error },
    );
  // undici says "fetch failed" and keeps what happened (ECONNREFUSED …) in the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new UpstreamError(
    ARGO,
    `cannot reach ${server.base} to ${what} (${errorMessage(error)}${cause})`,
    undefined,
    {
      cause: error,
    },
  );
}

/** A 2xx answer to `what` that is not JSON (a proxy's page): its start says whose it is. */
export function argoNotJson(answer: { status: number; text: string }, what: string): NotJsonAnswerError {
  return new NotJsonAnswerError(
    ARGO,
    `could not ${what}: the answer was not JSON (${answer.text.slice(0, 120)})`,
    answer.status,
  );
}
