import { channel } from 'node:diagnostics_channel';

/**
 * Outbound calls reported by the integration clients (Argo, Argo CD, GitHub, Jira, Kubernetes,
 * the directory and the catalog). They are built from configuration without the app's metrics,
 * so they publish on a diagnostics channel, as undici and node:http do for their own requests,
 * and each app's metrics subscribe; with nobody listening a report costs one check.
 */
export interface OutboundCall {
  /** One of core/metrics.ts SYSTEMS. */
  system: string;
  /** The HTTP status, "ok" when the client does not say which success, or "error"/"timeout". */
  status: number | string;
  seconds: number;
}

const outbound = channel('dpbot:outbound-call');

export function reportOutbound(call: OutboundCall): void {
  if (outbound.hasSubscribers) outbound.publish(call);
}

/** Listens to every outbound call in this process; returns the unsubscribe. */
export function onOutboundCall(listener: (call: OutboundCall) => void): () => void {
  const handler = (message: unknown) => listener(message as OutboundCall);
  outbound.subscribe(handler);
  return () => {
    outbound.unsubscribe(handler);
  };
}

/** Times `work` and reports it: the status `statusOf` finds, or "ok". */
export async function timedOutbound<T>(
  system: string,
  work: () => Promise<T>,
  statusOf: (error: unknown) => number | string,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    reportOutbound({ system, status: 'ok', seconds: (performance.now() - started) / 1000 });
    return result;
  } catch (error) {
    reportOutbound({ system, status: statusOf(error), seconds: (performance.now() - started) / 1000 });
    throw error;
  }
}

/** A fetch that reports each call under `system`. */
export function reportingFetch(system: string, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const started = performance.now();
    try {
      const response = await inner(input, init);
      reportOutbound({ system, status: response.status, seconds: (performance.now() - started) / 1000 });
      return response;
    } catch (error) {
      const status = /Timeout/.test((error as Error).name) ? 'timeout' : 'error';
      reportOutbound({ system, status, seconds: (performance.now() - started) / 1000 });
      throw error;
    }
  };
}

/**
 * The HTTP status a client library's error carries (Kubernetes' ApiException `code`, an HTTP
 * error's `status` or `response.status`), else "timeout" or "error".
 */
export function outboundStatus(error: unknown): number | string {
  const e = error as { code?: unknown; status?: unknown; response?: { status?: unknown }; name?: unknown };
  if (typeof e !== 'object' || e === null) return 'error';
  for (const candidate of [e.status, e.code, e.response?.status])
    if (typeof candidate === 'number' && candidate >= 100 && candidate <= 599) return candidate;
  const name = typeof e.name === 'string' ? e.name : '';
  if (/Timeout|AbortError/.test(name) || e.code === 'ETIMEDOUT' || e.code === 'ECONNABORTED')
    return 'timeout';
  return 'error';
}
