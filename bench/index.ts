import { auditBenchmark } from './audit.bench.ts';
import { authorizationBenchmark } from './authorization.bench.ts';
import type { Benchmark } from './harness.ts';

/** Every benchmark `npm run bench` runs, in order. */
export const benchmarks: readonly Benchmark[] = [authorizationBenchmark, auditBenchmark];
