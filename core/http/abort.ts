import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from '../errors.ts';

/** Throws when the signal has fired, with the reason as the message (a timeout says so). */
export function throwIfAborted(signal: AbortSignal, system: string): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  throw new UpstreamError(system, timedOut ? 'timed out' : 'cancelled', undefined, { cause: reason });
}

/** Waits `ms`, or until the signal fires: then throws as throwIfAborted does. */
export async function pause(ms: number, signal: AbortSignal | undefined, system: string): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal) throwIfAborted(signal, system);
    throw error;
  }
}
