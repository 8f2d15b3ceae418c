import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import { type Benchmark, type BenchSection, stats } from './harness.ts';
import { compiledEntry, importedOnlyMiB } from './memoryFloor.ts';
import {
  BENCH_SIGNING_SECRET,
  benchSetup,
  DPBOT_NODE_FLAGS,
  freePort,
  IMAGE_ENV,
  residentMiB,
  slashLoad,
  slashOnce,
  startProcess,
  stopProcess,
} from './slackLoad.ts';
import { benchDatabase } from './support.ts';

// BENCH_ACK_REQUESTS lowers the load for a quick look on a busy machine; the published figure uses 5,000.
const REQUESTS = Number(process.env.BENCH_ACK_REQUESTS ?? 5_000);
const TEAMS = 10;
/** Commands after the first, whose median the first acknowledgement is held against. */
const LATER_ACKS = 20;
/** Starts in each run whose first acknowledgement is measured (the first of them also takes the rest). */
const FIRST_ACK_STARTS = 4;
/** Commands after those, each after as long idle as the first one. */
const IDLE_ACKS = 3;
/** How often readiness is asked while a process starts. */
const POLL_MS = 20;
/** How long after it is ready, or after a load, a process's memory is read. */
const SETTLE_MS = 2000;
/** The quiet compaction looks every 30 s and wants a whole quiet look: at most about a minute. */
const QUIET_WAIT_MS = 75_000;
/**
 * What idle dpbot is held to: the Kubernetes and Slack clients, PostgreSQL's driver and the job
 * queue, imported and idle — libraries a serving dpbot cannot do without.
 */
const FLOOR_LIBRARIES = ['@kubernetes/client-node', '@slack/bolt', 'pg', 'pg-boss'];

/**
 * How long `dpbot start` takes to be ready (GET /readyz answers 200) and `dpbot console` to answer
 * its first command: the first start on an embedded PostgreSQL (its data folder created and
 * migrated), the second on the same folder, and on an external PostgreSQL (first start migrates,
 * second finds nothing to do). Then the resident memory of `dpbot start` idle, after a load of
 * denied `/dp scale` requests, and after the same load again: growth with requests served shows as
 * the second figure above the first.
 */
export const startBenchmark: Benchmark = {
  name: 'start',
  async run(ctx): Promise<BenchSection> {
    const teams = Array.from({ length: TEAMS }, (_, i) => `team-${i}`);
    const setup = await benchSetup({
      // team-denied exists and is not granted: the load is denied after authorization, not refused as unknown.
      teams: [...teams, 'team-denied'],
      granted: ['team-0'],
      extra: { database: { dataDir: 'pgdata' }, console: { as: 'ada@example.com' } },
    });
    const { slack, dir, config } = setup;
    const dpbot = join(projectRoot(), 'bin/dpbot.ts');
    const profile = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];

    // As deploy/Dockerfile runs it: compiled (bin/dpbot.ts maps dpbot's own stack traces), with
    // the image's environment (NODE_ENV=production, no compile cache).
    const image = {
      args: [...DPBOT_NODE_FLAGS, compiledEntry()],
      env: { ...IMAGE_ENV },
    };
    const source = { args: [...DPBOT_NODE_FLAGS, ...profile, dpbot], env: {} };

    const start = async (databaseUrl: string | undefined, form = source) => {
      const port = await freePort();
      const started = await startProcess(
        [...form.args, 'start', '--config', config],
        {
          ...form.env,
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
          SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
          PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        POLL_MS,
      );
      return { ...started, url: `http://127.0.0.1:${port}` };
    };
    /** `dpbot console` with `whoami` on its standard input: from spawning it to the answer. */
    const consoleAnswer = async (databaseUrl: string | undefined): Promise<number> => {
      const t = performance.now();
      const child = spawn(process.execPath, [...DPBOT_NODE_FLAGS, dpbot, 'console', '--config', config], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          LOG_LEVEL: 'warn',
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      child.stdin.write('whoami\n');
      let out = '';
      const answered = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ada@example.com')) resolve(performance.now() - t);
        });
        child.once('exit', (code) => reject(new Error(`dpbot console exited with ${code}: ${out}`)));
      });
      child.stdin.end();
      await stopProcess(child);
      return answered;
    };

    const figures = {
      embeddedFirst: [] as number[],
      embeddedSecond: [] as number[],
      externalFirst: [] as number[],
      externalSecond: [] as number[],
      consoleEmbedded: [] as number[],
      consoleExternal: [] as number[],
      idle: [] as number[],
      idleSource: [] as number[],
      afterOne: [] as number[],
      afterTwo: [] as number[],
      afterQuiet: [] as number[],
      quietSeconds: [] as number[],
      firstAck: [] as number[],
      laterAck: [] as number[],
      idleAck: [] as number[],
      bareNode: [] as number[],
      kubernetesClient: [] as number[],
      slackAndKubernetes: [] as number[],
      floor: [] as number[],
    };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        rmSync(join(dir, 'pgdata'), { recursive: true, force: true });
        const first = await start(undefined);
        await stopProcess(first.child);
        figures.embeddedFirst.push(first.readyMs);
        const second = await start(undefined);
        await stopProcess(second.child);
        figures.embeddedSecond.push(second.readyMs);
        figures.consoleEmbedded.push(await consoleAnswer(undefined));

        const bench = await benchDatabase(ctx.adminUrl);
        try {
          // benchDatabase migrates; an empty database shows what a first start pays for it.
          await bench.pool.query(
            'DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE; DROP SCHEMA IF EXISTS pgboss CASCADE',
          );
          const external1 = await start(bench.url);
          await stopProcess(external1.child);
          figures.externalFirst.push(external1.readyMs);
          const external2 = await start(bench.url);
          figures.externalSecond.push(external2.readyMs);
          try {
            // Someone uses dpbot before the next start (a deploy), as on any working day.
            await slashOnce({
              url: external2.url,
              text: 'whoami',
              responseUrl: slack.responseUrl(`bench-before-${run}-${randomUUID()}`),
            });
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
            figures.idleSource.push(residentMiB(external2.child.pid));
          } finally {
            await stopProcess(external2.child);
          }
          const external = await start(bench.url, image);
          try {
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
            figures.idle.push(residentMiB(external.child.pid));
            // The first command after a start against the median of the next ones, all sent one
            // at a time once its idle memory is read,
            // as the image runs it.
            const ack = (n: number) =>
              slashOnce({
                url: external.url,
                text: 'whoami',
                responseUrl: slack.responseUrl(`bench-first-${run}-${n}-${randomUUID()}`),
              });
            figures.firstAck.push(await ack(0));
            const later: number[] = [];
            for (let n = 1; n <= LATER_ACKS; n++) later.push(await ack(n));
            figures.laterAck.push(stats(later).median);
            // The first one came after the process had been idle for SETTLE_MS; so do these, which
            // tell what of the first one's extra time is the idleness (the database's and this
            // process's caches gone cold, its CPU asleep) rather than the start.
            const afterIdle: number[] = [];
            for (let n = 0; n < IDLE_ACKS; n++) {
              await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
              afterIdle.push(await ack(LATER_ACKS + 1 + n));
            }
            figures.idleAck.push(stats(afterIdle).median);
            const load = () =>
              slashLoad({
                url: external.url,
                responseUrl: (n) => slack.responseUrl(`bench-${n}-${randomUUID()}`),
                requests: REQUESTS,
                connections: 50,
                text: (n) => `scale team-denied 8 --reason "bench ${n}"`,
              });
            // Read as idle is, 2 s after the load: what the process keeps, not the load's garbage in flight.
            await load();
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
            figures.afterOne.push(residentMiB(external.child.pid));
            await load();
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
            figures.afterTwo.push(residentMiB(external.child.pid));
            // Then nobody types for a while: the quiet compaction (core/memoryCompaction.ts) gives
            // back what the loads left once the process has been idle for one of its 30-s looks.
            const quietFrom = performance.now();
            const compactedQuiet = async () =>
              /dpbot_memory_compaction_seconds_count\{reason="quiet"\} [1-9]/.test(
                await (await fetch(`${external.url}/metrics`)).text(),
              );
            while (!(await compactedQuiet()) && performance.now() - quietFrom < QUIET_WAIT_MS)
              await new Promise((resolve) => setTimeout(resolve, 1000));
            figures.quietSeconds.push((performance.now() - quietFrom) / 1000);
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
            figures.afterQuiet.push(residentMiB(external.child.pid));
          } finally {
            await stopProcess(external.child);
          }
          // A first acknowledgement varies from start to start by more than the goal's margin (the
          // database's first commits after a quiet spell among it): more starts, one command each.
          for (let extra = 1; extra < FIRST_ACK_STARTS; extra++) {
            const again = await start(bench.url, image);
            try {
              await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
              figures.firstAck.push(
                await slashOnce({
                  url: again.url,
                  text: 'whoami',
                  responseUrl: slack.responseUrl(`bench-first-${run}-again-${extra}-${randomUUID()}`),
                }),
              );
            } finally {
              await stopProcess(again.child);
            }
          }
          figures.consoleExternal.push(await consoleAnswer(bench.url));
        } finally {
          await bench.drop();
        }
        figures.bareNode.push(await importedOnlyMiB([], SETTLE_MS));
        figures.kubernetesClient.push(await importedOnlyMiB(['@kubernetes/client-node'], SETTLE_MS));
        figures.slackAndKubernetes.push(
          await importedOnlyMiB(['@kubernetes/client-node', '@slack/bolt'], SETTLE_MS),
        );
        figures.floor.push(await importedOnlyMiB(FLOOR_LIBRARIES, SETTLE_MS));
        const r = (v: number[]) => v.at(-1)?.toFixed(0);
        ctx.log(
          `start run ${run + 1}: ready in ${r(figures.embeddedFirst)} / ${r(figures.embeddedSecond)} ms (embedded, first / second), ${r(figures.externalFirst)} / ${r(figures.externalSecond)} ms (external); first acknowledgement ${r(figures.firstAck)} ms (later median ${r(figures.laterAck)}, after ${SETTLE_MS / 1000} s idle ${r(figures.idleAck)}); console answers in ${r(figures.consoleEmbedded)} ms (embedded) / ${r(figures.consoleExternal)} ms (external); RSS ${r(figures.idle)} MiB idle (image; ${r(figures.idleSource)} from the sources), ${r(figures.afterOne)} after ${REQUESTS} requests, ${r(figures.afterTwo)} after ${REQUESTS * 2}, ${r(figures.afterQuiet)} once quiet (compacted ${r(figures.quietSeconds)} s after the loads); imported only: bare Node ${r(figures.bareNode)}, Kubernetes client ${r(figures.kubernetesClient)}, with Bolt ${r(figures.slackAndKubernetes)}, the floor (with pg and pg-boss) ${r(figures.floor)} MiB`,
        );
      }
    } finally {
      await setup.remove();
    }
    const idle = { name: 'idle', samples: figures.idle };
    return {
      title: 'Start and memory',
      description: `\`dpbot start\` from spawning the process to GET /readyz answering 200 (asked every ${POLL_MS} ms), and \`dpbot console\` from spawning it to its answer to \`whoami\` on standard input; with Slack (HTTP), ${TEAMS} teams on the Kubernetes simulator and a directory file. Embedded: no DATABASE_URL, so dpbot starts its own PostgreSQL (first: the data folder is created and migrated; second: it exists). External: the benchmark's PostgreSQL (first: an empty database, migrated; second: nothing to migrate). Memory: resident set of \`dpbot start\` on the external PostgreSQL as the container image runs it (compiled, \`node ${DPBOT_NODE_FLAGS.join(' ')} dist/bin/dpbot.js\`, NODE_ENV=production, NODE_DISABLE_COMPILE_CACHE=1), ${SETTLE_MS / 1000} s after it is ready, then ${SETTLE_MS / 1000} s after ${REQUESTS.toLocaleString('en')} denied \`/dp scale\` requests at concurrency 50, then after as many again, then ${SETTLE_MS / 1000} s after dpbot's quiet compaction has run (asked at /metrics every second, for at most ${QUIET_WAIT_MS / 1000} s); and the same idle figure from the TypeScript sources, as \`npm start\` runs it. Floors, each a Node process with the same flags that imports libraries, collects its garbage once and does nothing else, read as dpbot is: Node alone; @kubernetes/client-node alone; it and @slack/bolt; and the floor idle dpbot is held to: those two with pg and pg-boss, the libraries a serving dpbot cannot do without. What the difference is made of (heap, the C allocator, Node's own pages; library by library): \`node bench/memoryBreakdown.ts\`.`,
      measurements: [
        {
          name: 'start, embedded PostgreSQL, first',
          unit: 'ms',
          samples: figures.embeddedFirst,
        },
        {
          name: 'start, embedded PostgreSQL, second',
          unit: 'ms',
          samples: figures.embeddedSecond,
          note: 'goal ≤ 3 s',
        },
        { name: 'start, external PostgreSQL, first', unit: 'ms', samples: figures.externalFirst },
        { name: 'start, external PostgreSQL, second', unit: 'ms', samples: figures.externalSecond },
        {
          name: `first acknowledgement after start (\`whoami\`; one per start, ${FIRST_ACK_STARTS} starts a run)`,
          unit: 'ms',
          samples: figures.firstAck,
          baseline: { name: `median of the next ${LATER_ACKS}`, samples: figures.laterAck },
          note: 'goal ≤ 2×',
        },
        {
          name: `an acknowledgement later, after ${SETTLE_MS / 1000} s idle as the first (median of ${IDLE_ACKS})`,
          unit: 'ms',
          samples: figures.idleAck,
          baseline: { name: `median of the next ${LATER_ACKS}`, samples: figures.laterAck },
          note: 'what idleness alone costs an acknowledgement, with nothing left of the start',
        },
        { name: 'console, embedded PostgreSQL', unit: 'ms', samples: figures.consoleEmbedded },
        { name: 'console, external PostgreSQL', unit: 'ms', samples: figures.consoleExternal },
        {
          name: 'resident memory, idle, as the image runs it',
          unit: 'MiB',
          samples: figures.idle,
          baseline: {
            name: 'the floor: Node with @kubernetes/client-node, @slack/bolt, pg and pg-boss imported',
            samples: figures.floor,
          },
          note: 'goal ≤ 1.3× the floor; no growth',
        },
        {
          name: 'resident memory, idle, from the TypeScript sources (`npm start`)',
          unit: 'MiB',
          samples: figures.idleSource,
          baseline: { name: 'as the image runs it', samples: figures.idle },
        },
        { name: 'floor: Node alone', unit: 'MiB', samples: figures.bareNode },
        {
          name: 'floor: Node with @kubernetes/client-node imported',
          unit: 'MiB',
          samples: figures.kubernetesClient,
          baseline: { name: 'Node alone', samples: figures.bareNode },
        },
        {
          name: 'floor: Node with @kubernetes/client-node and @slack/bolt imported',
          unit: 'MiB',
          samples: figures.slackAndKubernetes,
          baseline: { name: 'Node alone', samples: figures.bareNode },
        },
        {
          name: 'floor: Node with @kubernetes/client-node, @slack/bolt, pg and pg-boss imported',
          unit: 'MiB',
          samples: figures.floor,
          baseline: { name: 'Node alone', samples: figures.bareNode },
          note: 'the libraries a serving dpbot cannot do without, before any other library or line of dpbot',
        },

        {
          name: 'resident memory after one load, as the image runs it',
          unit: 'MiB',
          samples: figures.afterOne,
          baseline: idle,
          note: 'goal ≤ 1.3×',
        },
        {
          name: 'resident memory after two loads, as the image runs it',
          unit: 'MiB',
          samples: figures.afterTwo,
          baseline: { name: 'after one load', samples: figures.afterOne },
          note: 'no growth with requests served: about 1×',
        },
        {
          name: 'resident memory after the loads, once quiet, as the image runs it',
          unit: 'MiB',
          samples: figures.afterQuiet,
          baseline: idle,
          note: 'what a quiet process keeps after a burst: about 1×',
        },
      ],
    };
  },
};
