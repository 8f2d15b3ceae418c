import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { postgresShown } from '../bot/slack/sharedShown.ts';
import { postgresBudget } from '../bot/slack/slackBudget.ts';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import { runReleaseDay, startReleaseDay } from '../test/support/releaseDay.ts';
import type { Benchmark, BenchSection, Measurement } from './harness.ts';
import {
  BENCH_SIGNING_SECRET,
  benchSetup,
  DPBOT_NODE_FLAGS,
  freePort,
  startProcess,
  stopProcess,
} from './slackLoad.ts';
import { benchDatabase } from './support.ts';

/**
 * Shorter looks while working on the idle figure: BENCH_IDLE_WINDOW_MS and BENCH_IDLE_SETTLE_MS
 * shorten the idle watch, BENCH_REPLICAS_IDLE_ONLY=1 skips the release days, and
 * BENCH_REPLICAS_COUNTS=1 runs only one replica (a comma-separated list of 1 and 5).
 */
const REPLICAS = [1, 5] as const;
const IDLE_ONLY = process.env.BENCH_REPLICAS_IDLE_ONLY === '1';
const COUNTS = (process.env.BENCH_REPLICAS_COUNTS ?? '1,5').split(',').map(Number);
/** After every replica is ready: pg-boss creates its queues, the pools' first connections age out. */
const SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 15_000);
/** How long an idle replica's transactions are counted. */
const WINDOW_MS = Number(process.env.BENCH_IDLE_WINDOW_MS ?? 60_000);
/** How often connections are counted during the window. */
const SAMPLE_MS = 1000;

interface Idle {
  /** Transactions committed or rolled back per second per replica, over the window. */
  perSecond: number;
  /** The most connections one replica held at a sample, and the mean over replicas and samples. */
  connectionsMax: number;
  connectionsMean: number;
  /** The most connections of one replica by pool, at the sample where it held the most. */
  byPool: string;
}

/**
 * Replicas idle on one database: `n` spawned `dpbot start` processes (as the container runs them,
 * from the sources here), nothing asked of them. Their statements are counted from PostgreSQL's
 * own statistics of the benchmark's database (xact_commit + xact_rollback of pg_stat_database:
 * each statement outside a transaction is one; pg_stat_statements needs a server preloading it),
 * read from another database so the counting is not counted; their connections from
 * pg_stat_activity by application_name, which names each replica's pools (`dpbot/<host>:<pid>`,
 * `dpbot-jobs/…`, `dpbot-checkpoints/…`).
 */
async function idleReplicas(adminUrl: string, n: number, config: string, log: (l: string) => void) {
  const bench = await benchDatabase(adminUrl);
  const dbName = new URL(bench.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const children: ChildProcess[] = [];
  try {
    const dpbot = join(projectRoot(), 'bin/dpbot.ts');
    const started = await Promise.all(
      Array.from({ length: n }, async () => {
        const port = await freePort();
        return startProcess(
          [...DPBOT_NODE_FLAGS, dpbot, 'start', '--config', config],
          {
            DATABASE_URL: bench.url,
            SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
            SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
            PORT: String(port),
            LOG_LEVEL: 'warn',
          },
          async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        );
      }),
    );
    for (const s of started) children.push(s.child);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const xacts = async () =>
      Number(
        (
          await admin.query<{ n: string }>(
            'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
            [dbName],
          )
        ).rows[0]?.n ?? 0,
      );
    // Statistics reach pg_stat_database when a backend reports them (at most a second late).
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const before = await xacts();
    const t0 = performance.now();
    const pids = children.map((c) => String(c.pid));
    let connectionsMax = 0;
    let byPool = '';
    let connectionsSum = 0;
    let samples = 0;
    while (performance.now() - t0 < WINDOW_MS) {
      const { rows } = await admin.query<{ application_name: string; n: number }>(
        'SELECT application_name, count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 GROUP BY 1',
        [dbName],
      );
      for (const pid of pids) {
        const mine = rows.filter((r) => r.application_name.endsWith(`:${pid}`));
        const total = mine.reduce((a, r) => a + r.n, 0);
        connectionsSum += total;
        if (total > connectionsMax) {
          connectionsMax = total;
          byPool = mine.map((r) => `${r.application_name.split('/')[0]} ${r.n}`).join(', ');
        }
      }
      samples += pids.length;
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
    await admin.query('SELECT pg_stat_clear_snapshot()');
    // Let the last second's statistics arrive before reading them.
    await new Promise((r) => setTimeout(r, 1500));
    const seconds = (performance.now() - t0) / 1000;
    const after = await xacts();
    const idle: Idle = {
      perSecond: (after - before) / n / seconds,
      connectionsMax,
      connectionsMean: connectionsSum / Math.max(1, samples),
      byPool,
    };
    log(
      `  ${n} replica(s) idle: ${idle.perSecond.toFixed(2)} transactions/s per replica; connections per replica most ${idle.connectionsMax} (${idle.byPool}), mean ${idle.connectionsMean.toFixed(1)}`,
    );
    return idle;
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    await admin.end();
    await bench.drop();
  }
}

interface Released {
  peakPostsPerSecond: number;
  peakUpdatesPerMinute: number;
  posts: number;
  updates: number;
  releaseMs: number;
}

/**
 * The release day of the release-day benchmark (30 services, 3 waves, the four simulators
 * answering after 50 ms) with `n` replicas on one database: the world's own process (through
 * whose pipeline the commands are typed, as one replica) and n - 1 spawned `dpbot start` processes
 * with the same configuration, every one running the release workers and posting to the one Slack
 * simulator, their Slack budgets shared through PostgreSQL as `dpbot start` shares them.
 */
async function releaseWithReplicas(adminUrl: string, n: number, log: (l: string) => void): Promise<Released> {
  const database = await benchDatabase(adminUrl);
  const world = await startReleaseDay({
    databaseUrl: database.url,
    latencyMs: 50,
    stageMs: 1000,
    settleMs: 2000,
    pollMs: 1000,
  });
  world.notifier.shareBudget(
    postgresBudget(world.app.services.pool),
    postgresShown(world.app.services.pool, world.app.services.log),
  );
  const children: ChildProcess[] = [];
  try {
    const dpbot = join(projectRoot(), 'bin/dpbot.ts');
    const started = await Promise.all(
      Array.from({ length: n - 1 }, async () => {
        const port = await freePort();
        return startProcess(
          [...DPBOT_NODE_FLAGS, dpbot, 'start', '--config', world.fixture.configPath],
          {
            DATABASE_URL: database.url,
            SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
            SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
            GITHUB_TOKEN: 'ghs-release-day',
            ARGOCD_TOKEN: 'argo-release-day',
            JIRA_API_TOKEN: 'jira-release-day',
            PORT: String(port),
            LOG_LEVEL: 'error',
          },
          async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
        );
      }),
    );
    for (const s of started) children.push(s.child);
    const begin = performance.now();
    await runReleaseDay(world);
    const releaseMs = performance.now() - begin;
    await world.notifier.drained();
    const calls = world.slack.callsByMethod();
    const released: Released = {
      peakPostsPerSecond: Math.max(0, ...world.slack.peakPostsPerChannel(1000).values()),
      peakUpdatesPerMinute: world.slack.peakCalls('chat.update', 60_000),
      posts: calls.get('chat.postMessage') ?? 0,
      updates: calls.get('chat.update') ?? 0,
      releaseMs,
    };
    log(
      `  release day on ${n} replica(s): ${(releaseMs / 1000).toFixed(1)} s; busiest channel second ${released.peakPostsPerSecond} posts, busiest chat.update minute ${released.peakUpdatesPerMinute}; ${released.posts} posts, ${released.updates} updates`,
    );
    return released;
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    await world.close();
    await database.drop();
  }
}

/**
 * Several replicas as one: what an idle replica costs the database (statements a second and
 * connections), with one replica and with five on one database.
 */
export const replicasBenchmark: Benchmark = {
  name: 'replicas',
  async run(ctx): Promise<BenchSection> {
    const setup = await benchSetup({ teams: ['team-0'], granted: ['team-0'] });
    const idle = new Map<number, Idle[]>(REPLICAS.map((n) => [n, []]));
    const release = new Map<number, Released[]>(REPLICAS.map((n) => [n, []]));
    try {
      for (let run = 0; run < ctx.runs; run++)
        for (const n of REPLICAS) {
          if (!COUNTS.includes(n)) continue;
          idle.get(n)?.push(await idleReplicas(ctx.adminUrl, n, setup.config, ctx.log));
          if (!IDLE_ONLY) release.get(n)?.push(await releaseWithReplicas(ctx.adminUrl, n, ctx.log));
        }
    } finally {
      await setup.remove();
    }
    const rel = (n: number, pick: (r: Released) => number) => (release.get(n) ?? []).map(pick);
    const [one, many] = REPLICAS;
    const of = <T>(n: number, pick: (i: Idle) => T): T[] => (idle.get(n) ?? []).map(pick);
    const measurements: Measurement[] = REPLICAS.flatMap((n) => [
      {
        name: `${n} idle replica${n > 1 ? 's' : ''}: transactions per second, per replica`,
        unit: '/s',
        samples: of(n, (i) => Number(i.perSecond.toFixed(2))),
        note: 'goal ≤ 2 (pg_stat_database xact_commit + xact_rollback over the window, divided by the replicas)',
      },
      {
        name: `${n} idle replica${n > 1 ? 's' : ''}: connections per replica, most at a sample`,
        unit: 'connections',
        samples: of(n, (i) => i.connectionsMax),
        note: `goal ≤ 10 (pg_stat_activity by application_name; mean ${of(n, (i) => i.connectionsMean.toFixed(1)).join(', ')}; most was ${of(n, (i) => i.byPool).join('; ')})`,
      },
    ]);
    measurements.push(
      ...REPLICAS.flatMap((n): Measurement[] => [
        {
          name: `release day on ${n} replica${n > 1 ? 's' : ''}: busiest channel, posts in one second`,
          unit: 'posts',
          samples: rel(n, (r) => r.peakPostsPerSecond),
          note: 'goal ≤ 1 (Slack: about one message a second per channel), at the Slack simulator, all replicas together',
        },
        {
          name: `release day on ${n} replica${n > 1 ? 's' : ''}: chat.update in the busiest minute`,
          unit: 'calls',
          samples: rel(n, (r) => r.peakUpdatesPerMinute),
          note: 'goal ≤ 50 (Tier 3, per app and workspace), all replicas together',
        },
      ]),
      {
        name: `release day wall time, ${many} replicas`,
        unit: 'ms',
        samples: rel(many, (r) => Math.round(r.releaseMs)),
        baseline: { name: `${one} replica`, samples: rel(one, (r) => Math.round(r.releaseMs)) },
        note: `start → every service included → ship → healthy → notes; posts ${rel(many, (r) => r.posts).join(', ')} and updates ${rel(many, (r) => r.updates).join(', ')} (${one} replica: ${rel(one, (r) => r.posts).join(', ')} and ${rel(one, (r) => r.updates).join(', ')})`,
      },
    );
    return {
      title: 'Replicas: an idle replica, and a release day, with 1 and 5 replicas on one database',
      description: `${REPLICAS.join(' and ')} \`dpbot start\` processes on one PostgreSQL database, spawned as \`npm start\` runs them, ready, left ${SETTLE_MS / 1000} s to settle, then watched idle for ${WINDOW_MS / 1000} s: transactions (each statement outside a transaction is one) counted by PostgreSQL for that database, divided by the replicas, and each replica's connections counted every ${SAMPLE_MS / 1000} s in pg_stat_activity by the application_name its pools set. Then the release-day benchmark's release (30 services, 3 waves, simulators answering after 50 ms) with 1 and with 5 replicas on one database (the benchmark's process, which types the commands, and 4 spawned \`dpbot start\`), every replica running the release workers and sharing Slack's budgets through PostgreSQL: Slack posts per channel per second and chat.update per minute across all replicas, at the Slack simulator, and the wall time against 1 replica.`,
      measurements,
    };
  },
};
