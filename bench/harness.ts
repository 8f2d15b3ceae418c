/**
 * The shape every benchmark returns; `npm run bench` runs them all and writes bench/RESULTS.md.
 * Each figure is measured several times and reported as min/median/max, next to a baseline
 * measured in the same run, so the ratio means something on whatever machine ran it.
 */
export interface Measurement {
  /** What was measured: "first sync", "p99 acknowledgement". */
  name: string;
  unit: string;
  /** One value per run. */
  samples: number[];
  /** The same figure for the baseline approach, measured in the same run. */
  baseline?: { name: string; samples: number[] };
  note?: string;
}

export interface BenchSection {
  title: string;
  /** What was measured and how, in a sentence or two (the setup, the sizes). */
  description: string;
  measurements: Measurement[];
}

export interface BenchContext {
  /** A PostgreSQL server the benchmark may create (and must drop) databases on. */
  adminUrl: string;
  /** Runs per figure. */
  runs: number;
  log: (line: string) => void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<BenchSection>;
}

export function stats(samples: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: sorted[0] ?? 0, median, max: sorted.at(-1) ?? 0 };
}
