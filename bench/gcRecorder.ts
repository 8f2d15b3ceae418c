/**
 * Preloaded (`--import`) into a process under test by the tracing benchmark: records each garbage
 * collection's pause (start on the wall clock in ms, duration, kind) and writes them to the file
 * named by BENCH_GC_FILE when the process exits, so that the benchmark can tell which of its slow
 * requests met a collection in that process and which were held up by something else.
 */
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

export type GcPause = [startMs: number, durationMs: number, kind: number];

const file = process.env.BENCH_GC_FILE;
if (file) {
  const pauses: GcPause[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // A 'gc' entry carries its kind in `detail` (NodeGCPerformanceDetail), untyped on the base.
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      pauses.push([performance.timeOrigin + entry.startTime, entry.duration, kind]);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(file, JSON.stringify(pauses)));
}
