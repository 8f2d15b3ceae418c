import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
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

const REPLICAS = [1, 5] as const;
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

/**
 * Several replicas as one: what an idle replica costs the database (statements a second and
 * connections), with one replica and with five on one database.
 */
export const replicasBenchmark: Benchmark = {
  name: 'replicas',
  async run(ctx): Promise<BenchSection> {
    const setup = await benchSetup({ teams: ['team-0'], granted: ['team-0'] });
    const idle = new Map<number, Idle[]>(REPLICAS.map((n) => [n, []]));
    try {
      for (let run = 0; run < ctx.runs; run++)
        for (const n of REPLICAS)
          idle.get(n)?.push(await idleReplicas(ctx.adminUrl, n, setup.config, ctx.log));
    } finally {
      await setup.remove();
    }
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
    return {
      title: 'Replicas: what an idle replica costs the database',
      description: `${REPLICAS.join(' and ')} \`dpbot start\` processes on one PostgreSQL database, spawned as \`npm start\` runs them, ready, left ${SETTLE_MS / 1000} s to settle, then watched idle for ${WINDOW_MS / 1000} s: transactions (each statement outside a transaction is one) counted by PostgreSQL for that database, divided by the replicas, and each replica's connections counted every ${SAMPLE_MS / 1000} s in pg_stat_activity by the application_name its pools set.`,
      measurements,
    };
  },
};
