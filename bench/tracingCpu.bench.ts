import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import { pinCpus } from './cpuPinning.ts';
import type { Benchmark, BenchSection, Measurement } from './harness.ts';
import { startOtlpReceiver } from './otlpReceiver.ts';
import {
  BENCH_SIGNING_SECRET,
  benchSetup,
  cpuMs,
  DPBOT_NODE_FLAGS,
  freePort,
  slashLoad,
  startProcess,
  stopProcess,
} from './slackLoad.ts';
import { benchDatabase } from './support.ts';
import { deniedScale } from './tracing.bench.ts';

// Requests into each process per run, after as many again to warm it up.
const REQUESTS = Number(process.env.BENCH_TRACING_CPU_REQUESTS ?? 8_000);
const WARM_UP = 2_000;
/** In flight per process: the four together keep dpbot's core busy. */
const CONNECTIONS = 8;
const TEAMS = 20;

/** The sides: their OTEL_* variables (none for off) and what the README calls them. */
const SIDES = {
  off: { label: 'tracing off', env: undefined },
  on: { label: 'every request sampled', env: {} },
  sampled: {
    label: 'one trace in ten sampled',
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
  // Nothing recorded, everything else in place: the instrumentations' wrappers, the context, and
  // a span started (not recording) for each of dpbot's stages, as `always_off` decides span by span.
  none: { label: 'no span recorded (always_off)', env: { OTEL_TRACES_SAMPLER: 'always_off' } },
} as const;
type Side = keyof typeof SIDES;

/**
 * What tracing costs in CPU, measured so that the machine cannot tell the sides apart: the four
 * processes (off, every request sampled, one in ten, nothing recorded) run at once on one core,
 * each loaded at the same time by the same closed loop, and each one's CPU is read from /proc.
 * Whatever else the machine does in a run (a neighbour on the host, the CPU's clock) it does to
 * all four alike, where processes measured one after the other met different machines (the
 * tracing benchmark's untraced CPU per acknowledgement read 0.56 to 0.97 ms from one run to the
 * next). CPU only: their latencies are each other's queueing.
 */
export const tracingCpuBenchmark: Benchmark = {
  name: 'tracing-cpu',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    const teams = Array.from({ length: TEAMS }, (_, i) => `team-${i}`);
    const setup = await benchSetup({ teams: [...teams, 'team-denied'], granted: teams });
    const receiver = await startOtlpReceiver();
    const responseUrl = (n: number) => setup.slack.responseUrl(`cpu-${n}-${randomUUID()}`);
    const scratch = mkdtempSync(join(tmpdir(), 'dpbot-bench-tracing-cpu-'));
    const sides = Object.keys(SIDES) as Side[];
    const cpu = new Map<Side, number[]>(sides.map((side) => [side, []]));
    const pinned = pinCpus();
    try {
      for (let run = 0; run < ctx.runs; run++) {
        const bots: { side: Side; child: Awaited<ReturnType<typeof startProcess>>['child']; url: string }[] =
          [];
        try {
          // Started and warmed up one at a time; the order turns each run.
          const order = run % 2 === 0 ? sides : [...sides].reverse();
          for (const side of order) {
            const port = await freePort();
            const otel = SIDES[side].env;
            const { child } = await startProcess(
              [...DPBOT_NODE_FLAGS, join(projectRoot(), 'bin/dpbot.ts'), 'start', '--config', setup.config],
              {
                DATABASE_URL: bench.url,
                SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
                SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
                PORT: String(port),
                LOG_LEVEL: 'warn',
                // Replicas, each with its data folder (its audit outbox), as pods have.
                DPBOT_DATA_DIR: join(scratch, `${side}-${run}`),
                ...(otel
                  ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'dpbot-bench', ...otel }
                  : {}),
              },
              async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
              undefined,
              pinned?.child,
            );
            const url = `http://127.0.0.1:${port}`;
            bots.push({ side, child, url });
            await slashLoad({ url, responseUrl, requests: WARM_UP, connections: 20, text: deniedScale });
          }
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          const before = bots.map((b) => cpuMs(b.child.pid));
          const loads = await Promise.all(
            bots.map((b) =>
              slashLoad({
                url: b.url,
                responseUrl,
                requests: REQUESTS,
                connections: CONNECTIONS,
                text: deniedScale,
              }),
            ),
          );
          bots.forEach((b, i) => {
            cpu.get(b.side)?.push((cpuMs(b.child.pid) - (before[i] ?? 0)) / REQUESTS);
            if ((loads[i]?.non2xx ?? 0) > 0)
              ctx.log(`tracing-cpu: ${loads[i]?.non2xx} non-2xx answers, ${b.side}`);
          });
          ctx.log(
            `tracing-cpu run ${run + 1}: ${sides
              .map((side) => {
                const mine = cpu.get(side)?.at(-1) ?? 0;
                const off = cpu.get('off')?.at(-1) ?? 1;
                return `${side} ${mine.toFixed(3)} ms (${(mine / off).toFixed(2)}×)`;
              })
              .join(', ')}`,
          );
        } finally {
          for (const b of bots) await stopProcess(b.child);
        }
      }
    } finally {
      pinned?.restore();
      rmSync(scratch, { recursive: true, force: true });
      await receiver.close();
      await setup.remove();
      await bench.drop();
    }
    const off = cpu.get('off') ?? [];
    const traced = (side: Exclude<Side, 'off'>): Measurement[] => [
      {
        name: `CPU per acknowledgement, ${SIDES[side].label}`,
        unit: 'ms',
        samples: cpu.get(side) ?? [],
        baseline: { name: 'tracing off', samples: off },
      },
      {
        name: `… its ratio to tracing off within each run, ${SIDES[side].label}`,
        unit: '×',
        samples: (cpu.get(side) ?? []).map((v, i) => v / (off[i] ?? Number.NaN)),
        note: 'paired: the two processes loaded at the same moment on the same core',
      },
    ];
    return {
      title: 'Tracing: CPU, paired',
      description: `Signed \`/dp scale\` requests (denied: identified, authorized, audited, answered in the acknowledgement) into four \`dpbot start\` processes alive at once${pinned ? `, all on CPU ${pinned.child} (taskset) while the benchmark keeps the others` : ''}: tracing off; on with every request sampled; one trace in ten sampled (\`parentbased_traceidratio\`); and \`always_off\`, in which nothing is recorded but the instrumentations, the context and a non-recording span for each of dpbot's stages are all there. Spans go over OTLP/HTTP protobuf to a receiver on 127.0.0.1. Each process is warmed up alone (${WARM_UP.toLocaleString('en')} requests), then all four take ${REQUESTS.toLocaleString('en')} requests each at the same time (closed loop, ${CONNECTIONS} in flight per process), and each one's CPU is read from /proc: what the machine does meanwhile, it does to all four alike. Their latencies are each other's queueing and are not reported.`,
      measurements: [...traced('on'), ...traced('sampled'), ...traced('none')],
    };
  },
};
