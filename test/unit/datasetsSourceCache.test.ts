import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.ts';
import { SourceCache } from '../../handlers/datasets/sourceCache.ts';

function setup(maxEntries?: number) {
  let clock = new Date('2026-11-21T12:00:00Z');
  const cache = new SourceCache<string>({
    ttlMs: 60_000,
    errorTtlMs: 15_000,
    maxStaleMs: 600_000,
    now: () => clock,
    ...(maxEntries === undefined ? {} : { maxEntries }),
  });
  let loads = 0;
  const pending: { resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];
  /** A load that waits until the test settles it, so concurrency is decided by the test, not timing. */
  const load = () => {
    loads++;
    return new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return {
    cache,
    load,
    pending,
    loads: () => loads,
    advance: (ms: number) => {
      clock = new Date(clock.getTime() + ms);
    },
    now: () => clock,
  };
}

describe('source cache', () => {
  it('serves one value per TTL, with the time it was fetched', async () => {
    const t = setup();
    const first = t.cache.get('k', t.load);
    t.pending[0]?.resolve('v1');
    const fetchedAt = t.now();
    expect(await first).toEqual({ ok: true, value: 'v1', asOf: fetchedAt, stale: null });
    t.advance(59_000);
    expect(await t.cache.get('k', t.load)).toMatchObject({ value: 'v1', asOf: fetchedAt });
    expect(t.cache.peek('k')?.value).toBe('v1');
    expect(t.loads()).toBe(1);
    t.advance(1_000);
    expect(t.cache.peek('k')).toBeUndefined();
    const refreshed = t.cache.get('k', t.load);
    t.pending[1]?.resolve('v2');
    expect(await refreshed).toMatchObject({ value: 'v2', asOf: t.now() });
    expect(t.loads()).toBe(2);
  });

  it('lets concurrent readers share one request', async () => {
    const t = setup();
    const readers = Array.from({ length: 5 }, () => t.cache.get('k', t.load));
    expect(t.loads()).toBe(1);
    t.pending[0]?.resolve('shared');
    const results = await Promise.all(readers);
    expect(results.map((r) => (r.ok ? r.value : r.error))).toEqual(Array(5).fill('shared'));
    // Other keys are other requests.
    const other = t.cache.get('other', t.load);
    expect(t.loads()).toBe(2);
    t.pending[1]?.resolve('o');
    await other;
  });

  it('remembers a failure briefly, then asks again', async () => {
    const t = setup();
    const first = t.cache.get('k', t.load);
    t.pending[0]?.reject(new UpstreamError('dataset catalog', 'answered HTTP 503'));
    expect(await first).toEqual({ ok: false, error: 'answered HTTP 503', at: t.now() });
    t.advance(14_000);
    expect(await t.cache.get('k', t.load)).toMatchObject({ ok: false, error: 'answered HTTP 503' });
    expect(t.loads()).toBe(1);
    t.advance(1_000);
    const again = t.cache.get('k', t.load);
    expect(t.loads()).toBe(2);
    t.pending[1]?.resolve('back');
    expect(await again).toMatchObject({ ok: true, value: 'back', stale: null });
  });

  it('answers a failed refresh with the last good value while it is not too old, and says so', async () => {
    const t = setup();
    const first = t.cache.get('k', t.load);
    t.pending[0]?.resolve('good');
    const goodAt = t.now();
    await first;
    t.advance(120_000);
    const failing = t.cache.get('k', t.load);
    t.pending[1]?.reject(new Error('socket hang up'));
    expect(await failing).toEqual({
      ok: true,
      value: 'good',
      asOf: goodAt,
      stale: { error: 'socket hang up' },
    });
    // Past maxStale the old value is no longer offered.
    t.advance(600_000);
    const late = t.cache.get('k', t.load);
    t.pending[2]?.reject(new Error('socket hang up'));
    expect(await late).toMatchObject({ ok: false, error: 'socket hang up' });
    // Answers that cannot wait may still use it, knowing its age.
    expect(t.cache.last('k')).toEqual({ value: 'good', asOf: goodAt });
    expect(t.cache.last('never')).toBeUndefined();
  });

  it('keeps the keys read most recently when it is full', async () => {
    const t = setup(2);
    for (const key of ['a', 'b']) {
      const read = t.cache.get(key, t.load);
      t.pending.at(-1)?.resolve(key);
      await read;
    }
    // Read again within its TTL: a hit, and now the most recent.
    expect(await t.cache.get('a', t.load)).toMatchObject({ value: 'a', stale: null });
    const c = t.cache.get('c', t.load);
    t.pending.at(-1)?.resolve('c');
    await c;
    expect(t.loads()).toBe(3);
    expect(t.cache.last('a')?.value).toBe('a');
    expect(t.cache.last('b')).toBeUndefined();
    expect(t.cache.last('c')?.value).toBe('c');
  });

  it('answers the readers of a key pushed out while its request runs', async () => {
    const t = setup(1);
    const first = t.cache.get('a', t.load);
    const other = t.cache.get('b', t.load);
    expect(t.loads()).toBe(2);
    t.pending[0]?.resolve('a');
    t.pending[1]?.resolve('b');
    expect(await first).toMatchObject({ ok: true, value: 'a' });
    expect(await other).toMatchObject({ ok: true, value: 'b' });
  });
});
