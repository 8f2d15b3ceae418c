import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';

/**
 * A full collection in V8's memory-reducing mode, run to its end before returning: Node's `gc` when
 * started with --expose-gc. The "last-resort" flavour is what compacts the old generation, shrinks
 * the young one and releases the page pool; a regular full collection (measured) frees objects and
 * keeps every page committed, so the resident set does not move.
 */
export type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export type CompactionReason = 'start' | 'quiet';

export interface MemoryCompactionOptions {
  /** Unset (Node started without --expose-gc): nothing is ever collected here. */
  collect: Collect | undefined;
  log: Logger;
  /** How long the process must have been almost idle before a compaction (default 30 s). */
  quietMs?: number;
  /** Growth of the resident set since the last compaction that is worth a pause (default 16 MiB). */
  growthBytes?: number;
  /** The event loop's busy share over `quietMs` below which the process counts as idle. */
  idleUtilization?: number;
  /** The resident set in bytes (tests give their own). */
  rss?: () => number;
  onCompacted?: (reason: CompactionReason, seconds: number) => void;
}

export interface MemoryCompaction {
  /** One compaction now; called once the start is over, before the process says it is ready. */
  afterStart(): void;
  /** Stops watching for quiet. */
  close(): void;
}

const MiB = 1024 * 1024;

/**
 * Gives back to the system what a burst of work leaves behind. V8 keeps the pages a burst's garbage
 * freed (its page pool, a grown young generation) until its memory reducer runs, and in Node 24 a
 * quiet process never runs it: the reducer judges the allocation rate from the last collections,
 * which were the burst's, so it waits forever ("high alloc" under --trace-memory-reducer, even in a
 * process that only imported its libraries). Measured on an idle dpbot, one full collection after
 * the start takes about 0.1 s and 25 MiB off its resident set (bench/RESULTS.md, "Start and
 * memory"). After that, a compaction runs only when the resident set has grown by
 * `growthBytes` and the event loop has been almost idle for `quietMs`, so no request waits on it
 * in a burst, and a quiet process is never woken to collect nothing. The memory-reducing mode also
 * drops every function's compiled code and type feedback unless Node runs with
 * --no-flush-bytecode, as the image and `npm start` do; the start runs its warm-ups after the
 * compaction either way.
 */
export function memoryCompaction(options: MemoryCompactionOptions): MemoryCompaction {
  const { collect, log } = options;
  const quietMs = options.quietMs ?? 30_000;
  const growth = options.growthBytes ?? 16 * MiB;
  const idle = options.idleUtilization ?? 0.05;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  let settled = rss();
  let timer: NodeJS.Timeout | undefined;

  const compact = (reason: CompactionReason) => {
    if (!collect) return;
    const before = rss();
    const started = performance.now();
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const seconds = (performance.now() - started) / 1000;
    settled = rss();
    options.onCompacted?.(reason, seconds);
    log.info(
      {
        reason,
        ms: Math.round(seconds * 1000),
        rssBeforeMiB: Math.round(before / MiB),
        rssAfterMiB: Math.round(settled / MiB),
      },
      reason === 'start' ? 'memory compacted after the start' : 'memory compacted after a quiet spell',
    );
  };

  return {
    afterStart: () => {
      if (!collect) {
        log.debug('Node was started without --expose-gc: memory left behind by bursts is not compacted');
        return;
      }
      compact('start');
      if (timer) return;
      let last = performance.eventLoopUtilization();
      timer = setInterval(() => {
        const now = performance.eventLoopUtilization();
        const busy = performance.eventLoopUtilization(now, last).utilization;
        last = now;
        if (busy < idle && rss() - settled >= growth) {
          compact('quiet');
          last = performance.eventLoopUtilization();
        }
      }, quietMs);
      timer.unref();
    },
    close: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
