import { LRUCache } from 'lru-cache';
import { errorMessage, UpstreamError } from '../../core/errors.ts';

/** The problem without the system's name, which the answer says in its own words. */
export function problemOf(error: unknown): string {
  if (error instanceof UpstreamError && error.message.startsWith(`${error.system}: `))
    return error.message.slice(error.system.length + 2);
  return errorMessage(error);
}

export type Fetched<T> =
  /** `stale` is set when a refresh failed and the last good value (from `asOf`) stands in. */
  | { ok: true; value: T; asOf: Date; stale: { error: string } | null }
  | { ok: false; error: string; at: Date };

export interface SourceCacheOptions {
  /** How long a value is served without asking the source again. */
  ttlMs: number;
  /** How long a failure is remembered, so a dead source does not slow every answer by its timeout. */
  errorTtlMs: number;
  /** How old a last good value may be to stand in for a failed refresh. */
  maxStaleMs: number;
  now: () => Date;
  maxEntries?: number;
}

interface Good<T> {
  value: T;
  at: Date;
}

interface Failure {
  error: string;
  at: Date;
}

/**
 * lru-cache counts an entry fresh through the last millisecond of its TTL; dpbot's TTLs end before
 * it (a value fetched at 12:00:00 with a 60 s TTL is asked for again at 12:01:00).
 */
const exclusive = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs) - 1);

/**
 * A per-process cache in front of a slow or flaky source, on lru-cache's `fetchMethod`: concurrent
 * readers of one key share one request (single flight), and a failed refresh leaves the last good
 * value in place (`allowStaleOnFetchRejection`), which answers while it is not too old. Failures
 * are remembered briefly in a second cache, so a dead source does not slow every answer by its
 * timeout. Each answer carries the time its value was fetched.
 */
export class SourceCache<T> {
  readonly #options: SourceCacheOptions;
  readonly #good: LRUCache<string, Good<T>, () => Promise<T>>;
  readonly #failures: LRUCache<string, Failure>;
  /**
   * The failure of the latest attempt per key, until one succeeds. #failures forgets after
   * errorTtl (when to ask again); whether an answer is stale must not hang on that clock, which a
   * short errorTtl can run out between the failed attempt and the answer.
   */
  readonly #latestFailure: LRUCache<string, Failure>;

  constructor(options: SourceCacheOptions) {
    this.#options = options;
    const max = options.maxEntries ?? 1000;
    // The injected clock decides every age (tests move it); ttlResolution 0 reads it on every check
    // instead of caching it for a millisecond of real time.
    const perf = { now: () => options.now().getTime() };
    this.#good = new LRUCache<string, Good<T>, () => Promise<T>>({
      max,
      ttl: exclusive(options.ttlMs),
      ttlResolution: 0,
      perf,
      allowStaleOnFetchRejection: true,
      // An entry evicted while its request runs still answers the readers waiting on it (the value
      // is not stored: the key was least recently used).
      ignoreFetchAbort: true,
      fetchMethod: async (key, _stale, { context }) => {
        try {
          const value = await context();
          this.#failures.delete(key);
          this.#latestFailure.delete(key);
          return { value, at: options.now() };
        } catch (error) {
          const failure = { error: problemOf(error), at: options.now() };
          this.#failures.set(key, failure);
          this.#latestFailure.set(key, failure);
          throw error;
        }
      },
    });
    this.#failures = new LRUCache<string, Failure>({
      max,
      ttl: exclusive(options.errorTtlMs),
      ttlResolution: 0,
      perf,
    });
    this.#latestFailure = new LRUCache<string, Failure>({ max });
  }

  /** The value if it is within its TTL, without asking the source. */
  peek(key: string): { value: T; asOf: Date } | undefined {
    const good = this.#good.peek(key);
    return good ? { value: good.value, asOf: good.at } : undefined;
  }

  /** The last good value whatever its age, without asking the source (for answers that cannot wait). */
  last(key: string): { value: T; asOf: Date } | undefined {
    const good = this.#good.peek(key, { allowStale: true });
    return good ? { value: good.value, asOf: good.at } : undefined;
  }

  async get(key: string, load: () => Promise<T>): Promise<Fetched<T>> {
    let good: Good<T> | undefined;
    // While a failure is remembered the source is not asked; the last good value may still answer.
    if (this.#failures.get(key) === undefined) {
      // Rejects only when the entry was evicted mid-request with nothing to stand in; the failure is
      // then in #failures already.
      good = await this.#good.fetch(key, { context: load }).catch(() => undefined);
    }
    good ??= this.#good.peek(key, { allowStale: true });
    const failure = this.#latestFailure.get(key);
    if (good && !failure) return { ok: true, value: good.value, asOf: good.at, stale: null };
    const error = failure?.error ?? 'no answer';
    if (good && this.#age(good.at) <= this.#options.maxStaleMs) {
      return { ok: true, value: good.value, asOf: good.at, stale: { error } };
    }
    return { ok: false, error, at: failure?.at ?? this.#options.now() };
  }

  #age(at: Date): number {
    return this.#options.now().getTime() - at.getTime();
  }
}
