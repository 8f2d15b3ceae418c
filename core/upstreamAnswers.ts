import { UpstreamError } from './errors.ts';

/**
 * A source answered, but not with everything: a page missing, a count that does not add up, a
 * cursor that went round in circles. Treated like a failure: nothing is changed.
 */
export class TruncatedAnswerError extends UpstreamError {
  constructor(system: string, message: string) {
    super(system, `incomplete answer: ${message}`);
  }
}

/** Throws when the signal has fired, with the reason as the message (a timeout says so). */
export function throwIfAborted(signal: AbortSignal, system: string): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  throw new UpstreamError(system, timedOut ? 'timed out' : 'cancelled', undefined, { cause: reason });
}
