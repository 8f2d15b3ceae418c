import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { connect, type Db } from '../db/connect.ts';
import { runMigrations } from '../db/migrate.ts';

/** A fresh, migrated database for one benchmark; dropped by `drop()`. */
export async function benchDatabase(
  adminUrl: string,
): Promise<{ url: string; db: Db; pool: pg.Pool; drop(): Promise<void> }> {
  const name = `dpbot_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const log = pino({ level: 'silent' });
  const { pool, db } = connect(url.toString(), 25, log);
  await runMigrations(pool, log);
  return {
    url: url.toString(),
    db,
    pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/**
 * Two sides' p-th percentiles with every run's samples pooled, their ratio, and a 90 % interval
 * for it that counts both sources of spread: which process each run got (runs drawn again, with
 * replacement) and which requests it served (drawn again within each run drawn).
 */
export function pooledPercentileRatio(
  side: readonly (readonly number[])[],
  baseline: readonly (readonly number[])[],
  p: number,
  draws = 2_000,
): { side: number; baseline: number; ratio: number; low: number; high: number } {
  const pick = <T>(from: readonly T[]): T => from[Math.floor(Math.random() * from.length)] as T;
  const pooled = (runs: readonly (readonly number[])[]) =>
    percentile(Float64Array.from(runs.flat()).sort(), p);
  const redrawn = (runs: readonly (readonly number[])[]) =>
    runs.map(() => {
      const run = pick(runs);
      return run.map(() => pick(run));
    });
  const ratios = Array.from({ length: draws }, () => pooled(redrawn(side)) / pooled(redrawn(baseline))).sort(
    (a, b) => a - b,
  );
  const [sideP, baselineP] = [pooled(side), pooled(baseline)];
  return {
    side: sideP,
    baseline: baselineP,
    ratio: sideP / baselineP,
    low: percentile(ratios, 5),
    high: percentile(ratios, 95),
  };
}
