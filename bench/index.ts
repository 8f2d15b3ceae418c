import { ackBenchmark } from './ack.bench.ts';
import { auditBenchmark } from './audit.bench.ts';
import { authorizationBenchmark } from './authorization.bench.ts';
import { directoryBenchmark } from './directory.bench.ts';
import type { Benchmark } from './harness.ts';
import { releaseBenchmark } from './release.bench.ts';
import { releaseDayBenchmark } from './releaseDay.bench.ts';
import { replicasBenchmark } from './replicas.bench.ts';
import { startBenchmark } from './start.bench.ts';
import { tracingBenchmark } from './tracing.bench.ts';
import { tracingCpuBenchmark } from './tracingCpu.bench.ts';

/** Every benchmark `npm run bench` runs, in order. */
export const benchmarks: readonly Benchmark[] = [
  ackBenchmark,
  tracingBenchmark,
  tracingCpuBenchmark,
  authorizationBenchmark,
  auditBenchmark,
  directoryBenchmark,
  releaseBenchmark,
  releaseDayBenchmark,
  startBenchmark,
  replicasBenchmark,
];
