import type { IncomingMessage } from 'node:http';
import { SIGNATURE_WINDOW_SECONDS } from './verify.ts';

/** Slack payloads are small; anything bigger is not from Slack. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Slack's own requests are a few kilobytes (a large form submission some tens); they are read
 * from a pool of their own so that large bodies cannot crowd them out.
 */
export const SMALL_BODY_BYTES = 64 * 1024;
/** An ssl_check is `ssl_check=1&token=…`: the only unsigned request worth reading. */
const SSL_CHECK_BYTES = 512;

export interface IngressLimits {
  /** Bytes of large (> SMALL_BODY_BYTES) unverified bodies read at once, by all requests. */
  largeBytes: number;
  /** Bytes of small unverified bodies read at once, by all requests. */
  smallBytes: number;
  /** Slack sends a whole body at once; a body still arriving after this is cut. */
  bodyTimeoutMs: number;
}

/**
 * 150 forged 1 MB bodies held open grew a replica by ~160 MB against a 512 MiB limit; these bound
 * what unverified requests can hold to 24 MiB, whatever their number.
 */
export const DEFAULT_INGRESS_LIMITS: IngressLimits = {
  largeBytes: 16 * 1024 * 1024,
  smallBytes: 8 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
};

export type Refusal = { status: number; error: string; retryAfter?: number };

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
};

/** The length the client declared; undefined for a chunked body, NaN for a malformed one. */
function declaredLength(req: IncomingMessage): number | undefined {
  const raw = header(req, 'content-length');
  if (raw === undefined) return req.headers['transfer-encoding'] ? undefined : 0;
  return /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
}

/**
 * What the headers alone allow, decided before a byte of the body is read: a declared length
 * within the limit, and (except for a tiny body that may be an ssl_check) Slack's signature headers
 * with a timestamp inside its five-minute window. The signature itself is over the body, so it is
 * checked after reading.
 */
export function refuseByHeaders(req: IncomingMessage, nowMs = Date.now()): Refusal | undefined {
  const length = declaredLength(req);
  if (Number.isNaN(length)) return { status: 400, error: 'malformed Content-Length' };
  if (length !== undefined && length > MAX_BODY_BYTES)
    return { status: 413, error: 'request body too large' };
  const signature = header(req, 'x-slack-signature');
  const timestamp = header(req, 'x-slack-request-timestamp');
  if (!signature || !timestamp) {
    if (length !== undefined && length <= SSL_CHECK_BYTES) return undefined;
    return { status: 401, error: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { status: 401, error: 'malformed X-Slack-Request-Timestamp' };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) {
    return { status: 401, error: 'stale or future X-Slack-Request-Timestamp' };
  }
  return undefined;
}

/**
 * Bytes of unverified bodies being read, in two pools. A request reserves its declared length (the
 * whole limit when it declares none) before reading and gives it back when its body is read or
 * abandoned; one that does not fit is answered 503 at once, unread.
 */
export class UnverifiedBodies {
  #inUse = { small: 0, large: 0 };
  readonly limits: IngressLimits;

  constructor(limits: IngressLimits = DEFAULT_INGRESS_LIMITS) {
    this.limits = limits;
  }

  get bytesReserved(): number {
    return this.#inUse.small + this.#inUse.large;
  }

  /** Reads the body within its reservation, or says why not. */
  async read(req: IncomingMessage): Promise<{ body: Buffer } | { refused: Refusal }> {
    const declared = declaredLength(req);
    const reserve = declared ?? MAX_BODY_BYTES;
    const pool = reserve <= SMALL_BODY_BYTES ? 'small' : 'large';
    const limit = pool === 'small' ? this.limits.smallBytes : this.limits.largeBytes;
    if (this.#inUse[pool] + reserve > limit) {
      return { refused: { status: 503, error: 'too many requests being read; try again', retryAfter: 1 } };
    }
    this.#inUse[pool] += reserve;
    const timer = setTimeout(() => req.destroy(), this.limits.bodyTimeoutMs);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        // A body longer than it declared is not what Slack sends.
        if (size > reserve) return { refused: { status: 413, error: 'request body longer than declared' } };
        chunks.push(chunk as Buffer);
      }
      return { body: Buffer.concat(chunks) };
    } catch {
      return { refused: { status: 400, error: 'the request body did not arrive' } };
    } finally {
      clearTimeout(timer);
      this.#inUse[pool] -= reserve;
    }
  }
}

const ARRIVED = 'dpbotArrivedAt';
type Carrier = IncomingMessage & { [ARRIVED]?: number };

/**
 * Slack's 3 seconds run from when it sent the request, so dpbot's clock for the acknowledgement
 * starts when the request arrives, before its body is read and checked.
 */
export function markArrival(req: IncomingMessage, at = performance.now()): void {
  (req as Carrier)[ARRIVED] = at;
}

export function arrivalProperties(req: IncomingMessage): Record<string, number> {
  const at = (req as Carrier)[ARRIVED];
  return at === undefined ? {} : { [ARRIVED]: at };
}

/** When a listener's request arrived (performance.now() clock); now over Socket Mode. */
export function arrivedAt(context: Record<string, unknown>): number {
  const at = context[ARRIVED];
  return typeof at === 'number' ? at : performance.now();
}
