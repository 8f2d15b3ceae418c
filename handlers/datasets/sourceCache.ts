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

interface Entry<T> {
  good?: { value: T; at: Date };
  failure?: { error: string; at: Date };
  inflight?: Promise<void> | undefined;
}

/**
 * A per-process cache in front of a slow or flaky source. Concurrent readers of one key share one
 * request (single flight); failures are remembered briefly and answered with the last good value
 * while it is not too old. Each answer carries the time its value was fetched.
 */
export class SourceCache<T> {
  readonly #options: SourceCacheOptions;
  readonly #entries = new Map<string, Entry<T>>();

  constructor(options: SourceCacheOptions) {
    this.#options = options;
  }

  /** The value if it is within its TTL, without asking the source. */
  peek(key: string): { value: T; asOf: Date } | undefined {
    const good = this.#entries.get(key)?.good;
    if (!good || this.#age(good.at) >= this.#options.ttlMs) return undefined;
    return { value: good.value, asOf: good.at };
  }

  /** The last good value whatever its age, without asking the source (for answers that cannot wait). */
  last(key: string): { value: T; asOf: Date } | undefined {
    const good = this.#entries.get(key)?.good;
    return good ? { value: good.value, asOf: good.at } : undefined;
  }

  async get(key: string, load: () => Promise<T>): Promise<Fetched<T>> {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {};
      this.#entries.set(key, entry);
      this.#evict();
    }
    if (entry.good && this.#age(entry.good.at) < this.#options.ttlMs) {
      return { ok: true, value: entry.good.value, asOf: entry.good.at, stale: null };
    }
    if (!(entry.failure && this.#age(entry.failure.at) < this.#options.errorTtlMs)) {
      const current = entry;
      current.inflight ??= load()
        .then(
          (value) => {
            current.good = { value, at: this.#options.now() };
            current.failure = undefined;
          },
          (error: unknown) => {
            current.failure = { error: problemOf(error), at: this.#options.now() };
          },
        )
        .finally(() => {
          current.inflight = undefined;
        });
      await current.inflight;
    }
    const { good, failure } = entry;
    if (good && (!failure || failure.at < good.at)) {
      return { ok: true, value: good.value, asOf: good.at, stale: null };
    }
    const error = failure?.error ?? 'no answer';
    if (good && this.#age(good.at) <= this.#options.maxStaleMs) {
      return { ok: true, value: good.value, asOf: good.at, stale: { error } };
    }
    return { ok: false, error, at: failure?.at ?? this.#options.now() };
  }

  #age(at: Date): number {
    return this.#options.now().getTime() - at.getTime();
  }

  #evict(): void {
    const max = this.#options.maxEntries ?? 1000;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= max) break;
      if (!entry.inflight) this.#entries.delete(key);
    }
  }
}
