import { ApiException } from '@kubernetes/client-node';
import { formatDuration } from '../../core/config/duration.ts';
import { ConflictError, type DpbotError, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { retryAfterMs } from '../../core/http/retryAfter.ts';

/** One Kubernetes API call, described well enough to explain its failure to a person. */
export interface KubeOperation {
  cluster: string;
  server: string;
  /** The RBAC verb: get, list, update, patch. */
  verb: string;
  /** The RBAC resource: `deployments/scale`, `configmaps`, `horizontalpodautoscalers`. */
  resource: string;
  /** The API group; '' for the core group. */
  group: string;
  namespace: string;
  /** What the call was about, for messages: `Deployment team-x/ingest-workers`. */
  subject: string;
}

/** A 409 Conflict: the object changed since it was read. Callers read again and retry. */
export class KubeConflict extends ConflictError {}

/** The `message` of a Status body, which the client hands over parsed or as text. */
function statusMessage(raw: unknown): string | undefined {
  let body = raw;
  if (typeof raw === 'string' && raw.trimStart().startsWith('{')) {
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
  }
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === 'string' && message) return message;
  }
  if (typeof body === 'string' && body.trim() && body.length < 300) return body.trim();
  return undefined;
}

function networkCause(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (typeof current === 'object' && current !== null && 'code' in current) {
      const code = (current as { code: unknown }).code;
      if (typeof code === 'string') return code;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/** Verbs whose request may have taken effect even though no answer came back. */
const WRITES = new Set(['create', 'update', 'patch', 'delete']);

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name does not resolve',
  EHOSTUNREACH: 'the host is unreachable',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

/**
 * Turns a failed call into an error that says what happened and what to do: 404 → the target
 * does not exist; 403 → the RBAC verb and resource dpbot's service account lacks; network errors
 * and timeouts → the cluster is unreachable; 409 → KubeConflict for the caller's retry loop.
 */
export function translateKubeError(
  error: unknown,
  op: KubeOperation,
  timeoutMs: number,
): DpbotError | unknown {
  const where = `cluster "${op.cluster}"`;
  if (error instanceof ApiException) {
    const code = error.code;
    const message = statusMessage(error.body);
    if (code === 404)
      return new NotFoundError(
        `${op.subject} does not exist on ${where}${message ? ` (the API server says: ${message})` : ''}; check the team's targets in the configuration`,
      );
    if (code === 409) return new KubeConflict(`${op.subject} changed while dpbot was changing it`);
    if (code === 403)
      return new UpstreamError(
        'Kubernetes',
        `${where} refused dpbot: its service account needs the RBAC verb "${op.verb}" on "${op.resource}" (${op.group ? `API group "${op.group}"` : 'the core API group'}) in namespace "${op.namespace}". Ask the cluster's administrators to add it to dpbot's Role; nothing was changed`,
        403,
        { cause: error },
      );
    if (code === 401)
      return new UpstreamError(
        'Kubernetes',
        `${where} rejected dpbot's credentials (401 Unauthorized); check the user of context "${op.cluster}" in the kubeconfig`,
        401,
        { cause: error },
      );
    if (code === 422)
      return new UpstreamError(
        'Kubernetes',
        `${where} refused the change to ${op.subject} as invalid: ${message ?? 'no reason given'}`,
        422,
        {
          cause: error,
        },
      );
    if (code === 429) {
      const header = Object.entries(error.headers ?? {}).find(
        ([k]) => k.toLowerCase() === 'retry-after',
      )?.[1];
      const wait = retryAfterMs(header);
      return new UpstreamError(
        'Kubernetes',
        `${where} is throttling dpbot (429 Too Many Requests); try again in ${wait === undefined ? 'a minute' : formatDuration(Math.max(1000, wait))}`,
        429,
        { cause: error },
      );
    }
    return new UpstreamError(
      'Kubernetes',
      `${where} answered ${code} to ${op.verb} ${op.resource} of ${op.subject}${message ? `: ${message}` : ''}`,
      code,
      { cause: error },
    );
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return new UpstreamError(
      'Kubernetes',
      `${where} (${op.server}) did not answer within ${formatDuration(timeoutMs)}${
        WRITES.has(op.verb)
          ? ` when asked to ${op.verb} ${op.resource} of ${op.subject}, so the change may have been made all the same; check before trying again`
          : '; it may be unreachable or overloaded'
      }`,
      undefined,
      { cause: error },
    );
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    const code = networkCause(error);
    return new UpstreamError(
      'Kubernetes',
      `cannot reach ${where} at ${op.server}: ${(code && NETWORK_WORDS[code]) ?? code ?? error.message}`,
      undefined,
      { cause: error },
    );
  }
  return error;
}
