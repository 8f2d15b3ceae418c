import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type MemoryCompaction, memoryCompaction } from '../../core/memoryCompaction.ts';

const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });
const opened: MemoryCompaction[] = [];

afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** A compaction whose collections are recorded and whose resident set the test sets. */
function watched(quietMs = 40) {
  const state = { rss: 200 * MiB, collections: 0, reasons: [] as string[] };
  const compaction = memoryCompaction({
    // The collection gives back what the test says it left: the resident set falls to 160 MiB.
    collect: () => {
      state.collections++;
      state.rss = 160 * MiB;
    },
    log,
    quietMs,
    rss: () => state.rss,
    onCompacted: (reason) => state.reasons.push(reason),
  });
  opened.push(compaction);
  return { state, compaction };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the event loop busy for `ms`, in slices, so the compaction's timer still runs between them. */
async function busyFor(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const slice = performance.now() + 15;
    while (performance.now() < slice) {
      // Busy on purpose: the event loop's utilization is what the compaction reads.
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('memory compaction', () => {
  it('collects once after the start, then not again while the resident set stays where it fell', async () => {
    const { state, compaction } = watched();
    compaction.afterStart();
    expect(state.reasons).toEqual(['start']);
    await sleep(200);
    expect(state.collections).toBe(1);
  });

  it('collects again when the resident set has grown by 16 MiB and the process has gone quiet', async () => {
    const { state, compaction } = watched();
    compaction.afterStart();
    state.rss = 160 * MiB + 15 * MiB;
    await sleep(150);
    expect(state.reasons).toEqual(['start']);
    state.rss = 160 * MiB + 16 * MiB;
    await sleep(150);
    expect(state.reasons).toEqual(['start', 'quiet']);
    // It fell back to 160 MiB: nothing more to give back.
    await sleep(150);
    expect(state.reasons).toEqual(['start', 'quiet']);
  });

  it('does not pause a busy process, however much it has grown, and collects once it is quiet', async () => {
    const { state, compaction } = watched(60);
    compaction.afterStart();
    state.rss = 300 * MiB;
    await busyFor(400);
    expect(state.reasons).toEqual(['start']);
    await sleep(200);
    expect(state.reasons).toEqual(['start', 'quiet']);
  });

  it('without --expose-gc collects nothing, at the start or later', async () => {
    const reasons: string[] = [];
    let rss = 200 * MiB;
    const compaction = memoryCompaction({
      collect: undefined,
      log,
      quietMs: 20,
      rss: () => rss,
      onCompacted: (reason) => reasons.push(reason),
    });
    opened.push(compaction);
    compaction.afterStart();
    rss = 500 * MiB;
    await sleep(100);
    expect(reasons).toEqual([]);
  });
});
