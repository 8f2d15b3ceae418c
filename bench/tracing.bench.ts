import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import type { Benchmark, BenchSection } from './harness.ts';
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

// BENCH_TRACING_REQUESTS lowers the load for a quick look on a busy machine.
const REQUESTS = Number(process.env.BENCH_TRACING_REQUESTS ?? 2_000);
const CONNECTIONS = 50;
const TEAMS = 20;

/** Identified, authorized (denied), audited and answered in the acknowledgement. */
const deniedScale = (n: number) => `scale team-denied ${8 + (n % 2)} --reason "bench ${n}"`;

/**
 * What tracing costs the acknowledgement: the same signed `/dp scale` load into `dpbot start` with
 * tracing off (no OTEL_* variables) and on (every request sampled, spans sent over OTLP/HTTP to a
 * receiver on 127.0.0.1 that takes and drops them), one process after the other in each run.
 */
export const tracingBenchmark: Benchmark = {
  name: 'tracing',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    const teams = Array.from({ length: TEAMS }, (_, i) => `team-${i}`);
    const setup = await benchSetup({ teams: [...teams, 'team-denied'], granted: teams });
    const { slack, config } = setup;
    let spansReceived = 0;
    const receiver = createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => {
        spansReceived++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const otlp = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const responseUrl = (n: number) => slack.responseUrl(`trace-${n}-${randomUUID()}`);

    const startDpbot = async (env: Record<string, string>) => {
      const port = await freePort();
      // BENCH_CPU_PROF=<folder> keeps a CPU profile of each dpbot run there (as in ack.bench.ts).
      const profile = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : [];
      const { child } = await startProcess(
        [...DPBOT_NODE_FLAGS, ...profile, join(projectRoot(), 'bin/dpbot.ts'), 'start', '--config', config],
        {
          DATABASE_URL: bench.url,
          SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
          SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          ...env,
        },
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      );
      return { child, url: `http://127.0.0.1:${port}` };
    };
    const measure = async (env: Record<string, string>) => {
      const bot = await startDpbot(env);
      try {
        await slashLoad({
          url: bot.url,
          responseUrl,
          requests: 50,
          connections: CONNECTIONS,
          text: deniedScale,
        });
        const cpu = cpuMs(bot.child.pid);
        const load = await slashLoad({
          url: bot.url,
          responseUrl,
          requests: REQUESTS,
          connections: CONNECTIONS,
          text: deniedScale,
        });
        return { ...load, cpu: (cpuMs(bot.child.pid) - cpu) / REQUESTS };
      } finally {
        await stopProcess(bot.child);
      }
    };

    const figures = {
      off50: [] as number[],
      off99: [] as number[],
      offCpu: [] as number[],
      on50: [] as number[],
      on99: [] as number[],
      onCpu: [] as number[],
      sampled50: [] as number[],
      sampled99: [] as number[],
      sampledCpu: [] as number[],
    };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        // Turn about, so that a machine busier in one half of the run does not favour one side.
        const order =
          run % 2 === 0 ? (['off', 'on', 'sampled'] as const) : (['sampled', 'on', 'off'] as const);
        for (const side of order) {
          const r = await measure(
            side === 'off'
              ? {}
              : {
                  OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
                  OTEL_SERVICE_NAME: 'dpbot-bench',
                  // One trace in ten, as a busy service would sample.
                  ...(side === 'sampled'
                    ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }
                    : {}),
                },
          );
          if (r.non2xx > 0) ctx.log(`tracing: ${r.non2xx} non-2xx answers with tracing ${side}`);
          figures[`${side}50`].push(r.p50);
          figures[`${side}99`].push(r.p99);
          figures[`${side}Cpu`].push(r.cpu);
        }
        ctx.log(
          `tracing run ${run + 1}: p50/p99 off ${figures.off50.at(-1)}/${figures.off99.at(-1)} ms, on ${figures.on50.at(-1)}/${figures.on99.at(-1)} ms, one in ten sampled ${figures.sampled50.at(-1)}/${figures.sampled99.at(-1)} ms; CPU per request off ${figures.offCpu.at(-1)?.toFixed(2)} ms, on ${figures.onCpu.at(-1)?.toFixed(2)} ms, sampled ${figures.sampledCpu.at(-1)?.toFixed(2)} ms (${spansReceived} OTLP exports received so far)`,
        );
      }
      if (spansReceived === 0) throw new Error('tracing: no spans reached the OTLP receiver');
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
      await setup.remove();
      await bench.drop();
    }
    return {
      title: 'Tracing',
      description: `${REQUESTS.toLocaleString('en')} signed \`/dp scale\` requests (denied: answered in the acknowledgement) at concurrency ${CONNECTIONS} into \`dpbot start\`, with tracing off, on with every request sampled (the HTTP request, its stages and its PostgreSQL queries, sent over OTLP/HTTP to a receiver on 127.0.0.1), and on with one trace in ten sampled (\`parentbased_traceidratio\`, 0.1), each its own process, taking turns.`,
      measurements: [
        {
          name: 'p50 acknowledgement, tracing on',
          unit: 'ms',
          samples: figures.on50,
          baseline: { name: 'tracing off', samples: figures.off50 },
          note: 'goal ≤ 1.1× off',
        },
        {
          name: 'p99 acknowledgement, tracing on',
          unit: 'ms',
          samples: figures.on99,
          baseline: { name: 'tracing off', samples: figures.off99 },
          note: 'goal ≤ 1.1× off',
        },
        {
          name: 'CPU per acknowledgement, tracing on',
          unit: 'ms',
          samples: figures.onCpu,
          baseline: { name: 'tracing off', samples: figures.offCpu },
          note: 'less sensitive than latency to other work on the machine',
        },
        {
          name: 'p50 acknowledgement, one trace in ten sampled',
          unit: 'ms',
          samples: figures.sampled50,
          baseline: { name: 'tracing off', samples: figures.off50 },
          note: 'goal ≤ 1.1× off',
        },
        {
          name: 'p99 acknowledgement, one trace in ten sampled',
          unit: 'ms',
          samples: figures.sampled99,
          baseline: { name: 'tracing off', samples: figures.off99 },
          note: 'goal ≤ 1.1× off',
        },
        {
          name: 'CPU per acknowledgement, one trace in ten sampled',
          unit: 'ms',
          samples: figures.sampledCpu,
          baseline: { name: 'tracing off', samples: figures.offCpu },
        },
      ],
    };
  },
};
