import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:perf_hooks';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import { pinCpus } from './cpuPinning.ts';
import type { GcPause } from './gcRecorder.ts';
import { type Benchmark, type BenchSection, type Measurement, stats } from './harness.ts';
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
import { benchDatabase, percentile, pooledPercentileRatio } from './support.ts';

// BENCH_TRACING_REQUESTS lowers the saturating load for a quick look on a busy machine.
const REQUESTS = Number(process.env.BENCH_TRACING_REQUESTS ?? 2_000);
// BENCH_TRACING_CONNECTIONS=1 warms each process up one request at a time instead: no burst, so
// no allocation-site pretenuring decided under it, before the steady load (README, "Tracing").
const CONNECTIONS = Number(process.env.BENCH_TRACING_CONNECTIONS ?? 50);
/** Whether the first load saturates the cores (its latency then queueing, its ratio the CPU's). */
const SATURATING = CONNECTIONS >= 10;
// The steady load: a fixed number of requests a second, sent on schedule whatever the answers do
// (open loop), for BENCH_TRACING_SECONDS. Its p99 is set by the requests that meet one of V8's
// full collections (a few in 20 s): a minute of it spans enough of them for the figure to hold
// from run to run.
const RATE = Number(process.env.BENCH_TRACING_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_TRACING_SECONDS ?? 60);
const TEAMS = 20;
const IDLE_MS = 5_000;
/** Redraws for the pooled p99's interval. */
const DRAWS = 2_000;

const SIDES = ['off', 'on', 'sampled'] as const;
type Side = (typeof SIDES)[number];
// BENCH_TRACING_SIDES=on (a comma list) measures some sides only, e.g. to profile one.
const sides: Side[] = (process.env.BENCH_TRACING_SIDES?.split(',') as Side[] | undefined) ?? [...SIDES];
// BENCH_TRACING_PIN=0 leaves dpbot and the benchmark sharing every core, as every set before the
// re-measure of 2026-12-07 evening did (bench/RESULTS.md).
const PIN = process.env.BENCH_TRACING_PIN !== '0';

/** Identified, authorized (denied), audited and answered in the acknowledgement. */
export const deniedScale = (n: number) => `scale team-denied ${8 + (n % 2)} --reason "bench ${n}"`;

/**
 * What tracing costs the acknowledgement: the same signed `/dp scale` requests into `dpbot start`
 * with tracing off (no OTEL_* variables), on (every request sampled, spans sent over OTLP/HTTP to
 * a receiver on 127.0.0.1 that counts and drops them, bench/otlpReceiver.ts), and on with one
 * trace in ten sampled, one process after the other in each run. Each process takes two loads: a saturating one (closed
 * loop, concurrency 50: the latency is then queueing, and its ratio the CPU ratio), and
 * a steady one well under capacity (open loop, RATE a second), whose latency is what a person in
 * Slack waits.
 */
export const tracingBenchmark: Benchmark = {
  name: 'tracing',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    const teams = Array.from({ length: TEAMS }, (_, i) => `team-${i}`);
    const setup = await benchSetup({ teams: [...teams, 'team-denied'], granted: teams });
    const { slack, config } = setup;
    const receiver = await startOtlpReceiver();
    const otlp = receiver.url;
    const responseUrl = (n: number) => slack.responseUrl(`trace-${n}-${randomUUID()}`);

    const startDpbot = async (env: Record<string, string>) => {
      const port = await freePort();
      // BENCH_CPU_PROF=<folder> keeps a CPU profile of each dpbot run there (as in ack.bench.ts).
      const profile = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : [];
      const { child } = await startProcess(
        [
          ...DPBOT_NODE_FLAGS,
          '--import',
          join(projectRoot(), 'bench/gcRecorder.ts'),
          ...profile,
          join(projectRoot(), 'bin/dpbot.ts'),
          'start',
          '--config',
          config,
        ],
        {
          DATABASE_URL: bench.url,
          SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
          SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          ...env,
        },
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        undefined,
        pinned?.child,
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
        let cpu = cpuMs(bot.child.pid);
        const load = await slashLoad({
          url: bot.url,
          responseUrl,
          requests: REQUESTS,
          connections: CONNECTIONS,
          text: deniedScale,
        });
        const loadCpu = (cpuMs(bot.child.pid) - cpu) / REQUESTS;
        // The saturating load warmed the process up (as hours of use would); two seconds to settle,
        // then what the process spends idle (timers, the job queue's polling), to take off the
        // steady load's CPU, which has far fewer requests to share it out over.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        cpu = cpuMs(bot.child.pid);
        let t = performance.now();
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        const idlePerMs = (cpuMs(bot.child.pid) - cpu) / (performance.now() - t);
        cpu = cpuMs(bot.child.pid);
        t = performance.now();
        const steady = await steadyLoad({ url: bot.url, responseUrl, rate: RATE, seconds: SECONDS });
        const steadyCpu = cpuMs(bot.child.pid) - cpu - idlePerMs * (performance.now() - t);
        return {
          load: { p50: load.p50, p99: load.p99, cpu: loadCpu, non2xx: load.non2xx },
          steady: { ...steady, cpu: steadyCpu / steady.requests, idle: idlePerMs * 1000 },
        };
      } finally {
        await stopProcess(bot.child);
      }
    };

    const figure = () => ({ p50: [] as number[], p99: [] as number[], cpu: [] as number[] });
    const gcFigure = () => ({ slowMetGc: [] as number[], majors: [] as number[], pauseMs: [] as number[] });
    const figures = Object.fromEntries(
      SIDES.map((side) => [side, { load: figure(), steady: figure(), gc: gcFigure() }]),
    ) as Record<
      Side,
      { load: ReturnType<typeof figure>; steady: ReturnType<typeof figure>; gc: ReturnType<typeof gcFigure> }
    >;
    const gcFolder = mkdtempSync(join(tmpdir(), 'dpbot-bench-gc-'));
    // Each run's steady latencies, to read the p99 on every run's requests pooled as well.
    const steadyLatencies = Object.fromEntries(SIDES.map((side) => [side, [] as number[][]])) as Record<
      Side,
      number[][]
    >;
    // Drawn once per side, so that the log and the table give the same interval.
    const pooled = new Map<'on' | 'sampled', ReturnType<typeof pooledPercentileRatio>>();
    const pooledP99 = (side: 'on' | 'sampled') => {
      if (steadyLatencies.off.length === 0 || steadyLatencies[side].length === 0) return undefined;
      const drawn =
        pooled.get(side) ?? pooledPercentileRatio(steadyLatencies[side], steadyLatencies.off, 99, DRAWS);
      pooled.set(side, drawn);
      return drawn;
    };
    const requestsSent = REQUESTS + 50 + Math.round(RATE * SECONDS);
    let spansPerRequest: number | undefined;
    // OTEL_* variables in the bench's own environment go to the traced sides: to try exporter and
    // processor settings without editing anything.
    const otelGiven = Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => e[0].startsWith('OTEL_') && e[1] !== undefined,
      ),
    );
    // Every thread of the benchmark's (taskset -a), the receiver's worker among them; undone below.
    const pinned = PIN ? pinCpus() : undefined;
    if (PIN && !pinned)
      ctx.log('tracing: no taskset or a single CPU: dpbot shares the cores with the benchmark');
    try {
      for (let run = 0; run < ctx.runs; run++) {
        // Turn about, so that a machine busier in one half of the run does not favour one side.
        const order = run % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const spansBefore = (await receiver.received()).spans;
          const gcFile = join(gcFolder, `${side}-${run}.json`);
          const r = await measure(
            side === 'off'
              ? { BENCH_GC_FILE: gcFile }
              : {
                  BENCH_GC_FILE: gcFile,
                  OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
                  OTEL_SERVICE_NAME: 'dpbot-bench',
                  // One trace in ten, as a busy service would sample.
                  ...(side === 'sampled'
                    ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }
                    : {}),
                  ...otelGiven,
                },
          );
          if (side === 'on')
            spansPerRequest = ((await receiver.received()).spans - spansBefore) / requestsSent;
          if (r.load.non2xx + r.steady.non2xx > 0)
            ctx.log(`tracing: ${r.load.non2xx + r.steady.non2xx} non-2xx answers with tracing ${side}`);
          steadyLatencies[side].push(r.steady.timed.map(([, latency]) => latency));
          const gc = steadyCollections(r.steady.timed, gcFile);
          if (gc) {
            figures[side].gc.slowMetGc.push(gc.slowMetGc);
            figures[side].gc.majors.push(gc.majors);
            figures[side].gc.pauseMs.push(gc.pauseMs);
          }
          for (const phase of ['load', 'steady'] as const) {
            figures[side][phase].p50.push(r[phase].p50);
            figures[side][phase].p99.push(r[phase].p99);
            figures[side][phase].cpu.push(r[phase].cpu);
          }
          ctx.log(`tracing ${side}: idle process ${r.steady.idle.toFixed(0)} ms of CPU a second`);
          if (r.steady.failed > 0)
            ctx.log(`tracing ${side}: ${r.steady.failed} steady requests failed (connection reset)`);
          if (r.steady.late > 0)
            ctx.log(`tracing ${side}: ${r.steady.late} steady requests sent more than 5 ms late`);
        }
        const line = (phase: 'load' | 'steady') =>
          sides
            .map((side) => {
              const f = figures[side][phase];
              return `${side} ${f.p50.at(-1)?.toFixed(1)}/${f.p99.at(-1)?.toFixed(1)} ms, CPU ${f.cpu.at(-1)?.toFixed(2)} ms`;
            })
            .join('; ');
        ctx.log(`tracing run ${run + 1}: concurrency ${CONNECTIONS} p50/p99 ${line('load')}`);
        ctx.log(`tracing run ${run + 1}: steady ${RATE}/s p50/p99 ${line('steady')}`);
        ctx.log(
          `tracing run ${run + 1}: collections in dpbot's process during the steady load: ${sides
            .map((side) => {
              const g = figures[side].gc;
              return `${side} ${g.majors.at(-1)} full, ${g.pauseMs.at(-1)?.toFixed(0)} ms paused, slowest 1 % meeting one ${g.slowMetGc.at(-1)?.toFixed(0)} %`;
            })
            .join('; ')}`,
        );
      }
      const { exports: exportsReceived, spans: spansReceived, names: spanNames } = await receiver.received();
      if (sides.some((s) => s !== 'off') && spansReceived === 0)
        throw new Error('tracing: no spans reached the OTLP receiver');
      ctx.log(
        `tracing: ${exportsReceived} OTLP exports, ${spansReceived} spans; every request sampled: ${spansPerRequest?.toFixed(1)} spans a request; by name: ${[
          ...spanNames,
        ]
          .sort((a, b) => b[1] - a[1])
          .map(([name, n]) => `${name} ${n}`)
          .join(', ')}`,
      );
      if (sides.includes('off') && sides.includes('on')) {
        const ratio = (key: 'p50' | 'p99') =>
          stats(figures.on.steady[key]).median / stats(figures.off.steady[key]).median;
        const met = (r: number) => (r <= 1.1 ? 'met' : 'not met');
        const onPooled = pooledP99('on');
        if (onPooled)
          ctx.log(
            `tracing p99 with every run's steady requests pooled: on ${onPooled.ratio.toFixed(2)}× off, 90 % interval ${onPooled.low.toFixed(2)}–${onPooled.high.toFixed(2)}×`,
          );
        ctx.log(
          `tracing goal, ≤ 1.1× off, read on the steady load's acknowledgement with every request sampled (the wait a person in Slack sees${SATURATING ? `; at concurrency ${CONNECTIONS} ${pinned ? 'its core is' : 'the cores are'} saturated and latency is queueing, its ratio the CPU ratio` : ''}): p50 ${ratio('p50').toFixed(2)}× ${met(ratio('p50'))}, p99 ${ratio('p99').toFixed(2)}× ${met(ratio('p99'))}`,
        );
      }
    } finally {
      rmSync(gcFolder, { recursive: true, force: true });
      pinned?.restore();
      await receiver.close();
      await setup.remove();
      await bench.drop();
    }
    const against = (
      name: string,
      phase: 'load' | 'steady',
      key: 'p50' | 'p99' | 'cpu',
      side: 'on' | 'sampled',
      note?: string,
    ): Measurement => ({
      name,
      unit: 'ms',
      samples: figures[side][phase][key],
      baseline: { name: 'tracing off', samples: figures.off[phase][key] },
      ...(note ? { note } : {}),
    });
    const pooledFigure = (side: 'on' | 'sampled', label: string): Measurement[] => {
      const drawn = pooledP99(side);
      if (!drawn) return [];
      return [
        {
          name: `p99 acknowledgement, steady, ${label}, every run's requests pooled`,
          unit: 'ms',
          samples: [drawn.side],
          baseline: { name: 'tracing off', samples: [drawn.baseline] },
          note: `90 % interval of this ratio, runs and the requests within them drawn again ${DRAWS.toLocaleString('en')} times: ${drawn.low.toFixed(2)}–${drawn.high.toFixed(2)}× (a goal is met when the interval lies under it, missed when above, and this run cannot tell when it spans it)`,
        },
      ];
    };
    const gcFigures = (): Measurement[] => {
      const gc = (key: keyof ReturnType<typeof gcFigure>, name: string, unit: string, note?: string) => ({
        name,
        unit,
        samples: figures.on.gc[key],
        baseline: { name: 'tracing off', samples: figures.off.gc[key] },
        ...(note ? { note } : {}),
      });
      return figures.on.gc.majors.length > 0 && figures.off.gc.majors.length > 0
        ? [
            gc(
              'slowMetGc',
              'slowest 1 % of the steady requests that met a collection in dpbot’s process, tracing on',
              '%',
              `the rest met none: they were held up by something else (${pinned ? 'the process’s own helper threads, such as V8’s concurrent marking, on its one core; PostgreSQL; the machine' : 'other work on the cores; the machine'}); recorded by bench/gcRecorder.ts, preloaded on every side`,
            ),
            gc('majors', 'full (mark-compact) collections during the steady load, tracing on', 'count'),
            gc('pauseMs', 'time paused for collections during the steady load, tracing on', 'ms'),
          ]
        : [];
    };
    const steadyGoal = `goal ≤ 1.1× off: read here, at a rate well under capacity, where latency is what a person waits rather than queueing`;
    return {
      title: 'Tracing',
      description: `Signed \`/dp scale\` requests (denied: identified, authorized, audited and answered in the acknowledgement) into \`dpbot start\`, with tracing off, on with every request sampled (the HTTP request, its stages and its PostgreSQL queries: ${spansPerRequest?.toFixed(1) ?? '?'} spans a request, sent over OTLP/HTTP protobuf to a receiver on 127.0.0.1, in a worker thread of the benchmark's so that decoding an export does not hold up the requests it times), and on with one trace in ten sampled (\`parentbased_traceidratio\`, 0.1), each its own process (\`node ${DPBOT_NODE_FLAGS.join(' ')}\`), taking turns${pinned ? `, on CPU ${pinned.child} alone (taskset) while the benchmark keeps the others (PostgreSQL, the machine's, is not pinned)` : ', sharing the cores with the benchmark'}. Each process takes ${REQUESTS.toLocaleString('en')} requests at concurrency ${CONNECTIONS} (closed loop), then, warmed up, a steady load of ${RATE} requests a second for ${SECONDS} s, each sent on schedule whatever the answers (open loop; far under what one core serves, and more than a busy workspace's peak). ${SATURATING ? `The first saturates ${pinned ? 'its core' : 'the cores'}, so its latencies are queueing and their ratio is the CPU ratio, a capacity figure.` : 'The first runs one request at a time, a warm-up with no burst in it.'} The ≤ 1.1× goal is read on the steady load's acknowledgement, the latency a person in Slack sees; CPU per acknowledgement says what tracing takes from capacity, and is the figure other work on the machine blurs least.`,
      measurements: [
        against('p50 acknowledgement, steady, tracing on', 'steady', 'p50', 'on', steadyGoal),
        against('p99 acknowledgement, steady, tracing on', 'steady', 'p99', 'on', steadyGoal),
        ...pooledFigure('on', 'tracing on'),
        ...gcFigures(),
        against('p50 acknowledgement, steady, one trace in ten sampled', 'steady', 'p50', 'sampled'),
        against('p99 acknowledgement, steady, one trace in ten sampled', 'steady', 'p99', 'sampled'),
        ...pooledFigure('sampled', 'one trace in ten sampled'),
        against(
          'CPU per acknowledgement, steady, tracing on',
          'steady',
          'cpu',
          'on',
          'less the idle process’s own CPU over the same time, measured just before; no batching of audit rows at this rate',
        ),
        against('CPU per acknowledgement, steady, one trace in ten sampled', 'steady', 'cpu', 'sampled'),
        against(
          `p50 acknowledgement, concurrency ${CONNECTIONS}, tracing on`,
          'load',
          'p50',
          'on',
          SATURATING ? 'saturating: queueing, so the ratio is the CPU ratio' : 'one at a time: no queueing',
        ),
        against(`p99 acknowledgement, concurrency ${CONNECTIONS}, tracing on`, 'load', 'p99', 'on'),
        against(
          `p50 acknowledgement, concurrency ${CONNECTIONS}, one trace in ten sampled`,
          'load',
          'p50',
          'sampled',
        ),
        against(
          `p99 acknowledgement, concurrency ${CONNECTIONS}, one trace in ten sampled`,
          'load',
          'p99',
          'sampled',
        ),
        against(
          `CPU per acknowledgement, concurrency ${CONNECTIONS}, tracing on`,
          'load',
          'cpu',
          'on',
          'what tracing takes from capacity; less sensitive than latency to other work on the machine',
        ),
        against(
          `CPU per acknowledgement, concurrency ${CONNECTIONS}, one trace in ten sampled`,
          'load',
          'cpu',
          'sampled',
        ),
      ].filter((m) => m.samples.length > 0 && (m.baseline?.samples.length ?? 0) > 0),
    };
  },
};

/**
 * `rate` signed requests a second for `seconds`, each sent at its time whether or not the ones
 * before it have been answered (so a slow answer does not hold the next request back, as a closed
 * loop does), with the time from sending each to its acknowledgement.
 */
async function steadyLoad(input: {
  url: string;
  responseUrl: (n: number) => string;
  rate: number;
  seconds: number;
}): Promise<{
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  failed: number;
  late: number;
  /** Every answered request: when it was sent (wall clock, ms) and its latency. */
  timed: [sentAt: number, latency: number][];
}> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${input.url}/slack/events`);
  const total = Math.round(input.rate * input.seconds);
  const interval = 1000 / input.rate;
  const timed: [number, number][] = [];
  let non2xx = 0;
  let failed = 0;
  let late = 0;
  const send = (n: number) =>
    new Promise<void>((resolve) => {
      const body = new URLSearchParams({
        team_id: 'T0SANDBOX',
        channel_id: 'C0OPS00001',
        user_id: 'U0ADA00001',
        command: '/dp',
        text: deniedScale(n),
        response_url: input.responseUrl(n),
        trigger_id: randomUUID(),
      }).toString();
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = `v0=${createHmac('sha256', BENCH_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
      const sent = performance.now();
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            'x-slack-request-timestamp': ts,
            'x-slack-signature': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            timed.push([performance.timeOrigin + sent, performance.now() - sent]);
            if ((res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      // A reset (a kept-alive socket the server closed as it was reused) is counted, not thrown:
      // the request is left out of the latencies and the count is logged.
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const answers: Promise<void>[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < total; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (performance.now() - due > 5) late++;
      answers.push(send(100_000 + i));
    }
    await Promise.all(answers);
  } finally {
    agent.destroy();
  }
  const latencies = timed.map(([, latency]) => latency).sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: total,
    non2xx,
    failed,
    late,
    timed,
  };
}

/**
 * What the collections in the process under test did during its steady load: how many were full
 * (mark-compact), how long they paused it, and what share of the slowest 1 % of requests were in
 * flight during a pause. Undefined when the process left no record (it did not exit cleanly).
 */
function steadyCollections(
  timed: [sentAt: number, latency: number][],
  gcFile: string,
): { slowMetGc: number; majors: number; pauseMs: number } | undefined {
  let pauses: GcPause[];
  try {
    pauses = JSON.parse(readFileSync(gcFile, 'utf8')) as GcPause[];
  } catch {
    return undefined;
  }
  if (timed.length === 0) return undefined;
  const from = Math.min(...timed.map(([sentAt]) => sentAt));
  const to = Math.max(...timed.map(([sentAt, latency]) => sentAt + latency));
  const during = pauses.filter(([start, duration]) => start + duration >= from && start <= to);
  const slowest = [...timed].sort((a, b) => b[1] - a[1]).slice(0, Math.max(1, Math.ceil(timed.length / 100)));
  const met = slowest.filter(([sentAt, latency]) =>
    during.some(([start, duration]) => start < sentAt + latency && start + duration > sentAt),
  );
  return {
    slowMetGc: (100 * met.length) / slowest.length,
    majors: during.filter(([, , kind]) => kind === constants.NODE_PERFORMANCE_GC_MAJOR).length,
    pauseMs: during.reduce((sum, [, duration]) => sum + duration, 0),
  };
}
