import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { connect, type Db } from '../db/connect.ts';
import { runMigrations } from '../db/migrate.ts';
import type { DirectorySnapshot } from '../handlers/directory/snapshot.ts';
import { PgDirectoryStore } from '../handlers/directory/stores/directoryStore.ts';
import { type BenchContext, type Benchmark, type BenchSection, type Measurement, stats } from './harness.ts';

/**
 * The directory store at the size of a large company: 50,000 users, 5,000 groups, 500,000
 * memberships in one source. Three operations, each against the naive approach (delete every
 * row of the source, insert everything again, in one transaction), on separate fresh databases
 * in the same run: the first sync, a resync with no change, a resync with 1 % churn (5,000
 * memberships removed, 5,000 added). Time, rows written (the databases' own row counts) and
 * peak JavaScript heap above the starting point (sampled every 5 ms).
 */

const USERS = Number(process.env.DPBOT_BENCH_USERS ?? 50_000);
const GROUPS = Number(process.env.DPBOT_BENCH_GROUPS ?? 5_000);
const PER_GROUP = Number(process.env.DPBOT_BENCH_PER_GROUP ?? 100); // 500,000 memberships
const SOURCE = 'bench';

/** A deterministic pseudo-random sequence, so every run syncs the same directory. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeDirectory(): DirectorySnapshot {
  const rand = random(42);
  const users = Array.from({ length: USERS }, (_, i) => ({
    email: `user${i}@example.com`,
    name: `User ${i}`,
    active: true,
  }));
  const groups = Array.from({ length: GROUPS }, (_, g) => {
    const members = new Set<string>();
    while (members.size < PER_GROUP) members.add(`user${Math.floor(rand() * USERS)}@example.com`);
    return { id: `group-${g}`, displayName: `Group ${g}`, members: [...members].sort() };
  });
  return { users, groups };
}

/** 1 % of memberships moved: that many removed at random, as many added to other groups. */
function churn(base: DirectorySnapshot): DirectorySnapshot {
  const rand = random(7);
  const total = base.groups.reduce((n, g) => n + g.members.length, 0);
  const moves = Math.round(total * 0.01);
  const groups = base.groups.map((g) => ({ ...g, members: [...g.members] }));
  for (let i = 0; i < moves; i++) {
    const g = groups[Math.floor(rand() * groups.length)];
    if (!g || g.members.length === 0) continue;
    g.members.splice(Math.floor(rand() * g.members.length), 1);
    const h = groups[Math.floor(rand() * groups.length)];
    if (!h) continue;
    let candidate = `user${Math.floor(rand() * USERS)}@example.com`;
    while (h.members.includes(candidate)) candidate = `user${Math.floor(rand() * USERS)}@example.com`;
    h.members.push(candidate);
  }
  return { users: base.users, groups };
}

/** The baseline: throw away what the source had and write everything again. */
async function naiveSync(db: Db, snapshot: DirectorySnapshot): Promise<number> {
  return db.transaction(async (tx) => {
    let written = 0;
    const run = async (q: SQL) => {
      written += (await tx.execute(q)).rowCount ?? 0;
    };
    const texts = (values: readonly (string | undefined)[]) => sql.param(values.map((v) => v ?? null));
    await run(sql`DELETE FROM memberships WHERE source = ${SOURCE}`);
    await run(sql`DELETE FROM groups WHERE source = ${SOURCE}`);
    await run(sql`DELETE FROM user_sources WHERE source = ${SOURCE}`);
    await run(sql`
      INSERT INTO users (email, name)
      SELECT * FROM unnest(${texts(snapshot.users.map((u) => u.email))}::text[], ${texts(snapshot.users.map((u) => u.name))}::text[])
      ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, updated_at = now()`);
    await run(sql`
      INSERT INTO user_sources (user_id, source, active)
      SELECT u.id, ${SOURCE}, true FROM unnest(${texts(snapshot.users.map((u) => u.email))}::text[]) AS x(email)
      JOIN users u ON u.email = x.email`);
    await run(sql`
      INSERT INTO groups (name, source, external_id, display_name)
      SELECT ${`${SOURCE}:`} || x.id, ${SOURCE}, x.id, x.name
      FROM unnest(${texts(snapshot.groups.map((g) => g.id))}::text[], ${texts(snapshot.groups.map((g) => g.displayName))}::text[]) AS x(id, name)`);
    const pairs = snapshot.groups.flatMap((g) => g.members.map((m) => [`${SOURCE}:${g.id}`, m] as const));
    for (let i = 0; i < pairs.length; i += 100_000) {
      const batch = pairs.slice(i, i + 100_000);
      await run(sql`
        INSERT INTO memberships (group_id, user_id, source)
        SELECT g.id, u.id, ${SOURCE}
        FROM unnest(${texts(batch.map((p) => p[0]))}::text[], ${texts(batch.map((p) => p[1]))}::text[]) AS x(group_name, email)
        JOIN groups g ON g.name = x.group_name JOIN users u ON u.email = x.email`);
    }
    return written;
  });
}

interface Sample {
  ms: number;
  rows: number;
  heapMb: number;
}

/** Runs `work`, timing it and sampling the heap every 5 ms (after a GC when node runs with --expose-gc). */
async function measure(work: () => Promise<number>): Promise<Sample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  try {
    const rows = await work();
    const ms = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { ms, rows, heapMb: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

async function withDatabase<T>(adminUrl: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const name = `dpbot_bench_dir_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const log = pino({ level: 'silent' });
  const { pool, db } = connect(url.toString(), 2, log);
  try {
    await runMigrations(pool, log);
    return await fn(db);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

type Phase = 'first sync' | 'resync, no change' | 'resync, 1 % churn';
const PHASES: Phase[] = ['first sync', 'resync, no change', 'resync, 1 % churn'];

export const directoryBenchmark: Benchmark = {
  name: 'directory',
  async run(ctx: BenchContext): Promise<BenchSection> {
    const base = makeDirectory();
    const changed = churn(base);
    const snapshots: Record<Phase, DirectorySnapshot> = {
      'first sync': base,
      'resync, no change': base,
      'resync, 1 % churn': changed,
    };
    const ours: Record<Phase, Sample[]> = {
      'first sync': [],
      'resync, no change': [],
      'resync, 1 % churn': [],
    };
    const naive: Record<Phase, Sample[]> = {
      'first sync': [],
      'resync, no change': [],
      'resync, 1 % churn': [],
    };
    for (let run = 1; run <= ctx.runs; run++) {
      await withDatabase(ctx.adminUrl, async (db) => {
        const store = new PgDirectoryStore(db);
        for (const phase of PHASES) {
          const sample = await measure(async () => (await store.sync(SOURCE, snapshots[phase])).written);
          ours[phase].push(sample);
          ctx.log(
            `run ${run} dpbot  ${phase}: ${Math.round(sample.ms)} ms, ${sample.rows} rows, ${sample.heapMb.toFixed(0)} MB`,
          );
        }
      });
      await withDatabase(ctx.adminUrl, async (db) => {
        for (const phase of PHASES) {
          const sample = await measure(() => naiveSync(db, snapshots[phase]));
          naive[phase].push(sample);
          ctx.log(
            `run ${run} naive  ${phase}: ${Math.round(sample.ms)} ms, ${sample.rows} rows, ${sample.heapMb.toFixed(0)} MB`,
          );
        }
      });
    }
    const memberships = base.groups.reduce((n, g) => n + g.members.length, 0);
    const measurements: Measurement[] = PHASES.flatMap((phase) => [
      {
        name: `${phase}: time`,
        unit: 'ms',
        samples: ours[phase].map((s) => Math.round(s.ms)),
        baseline: { name: 'delete all, insert all', samples: naive[phase].map((s) => Math.round(s.ms)) },
      },
      {
        name: `${phase}: rows written`,
        unit: 'rows',
        samples: ours[phase].map((s) => s.rows),
        baseline: { name: 'delete all, insert all', samples: naive[phase].map((s) => s.rows) },
      },
      {
        name: `${phase}: peak heap`,
        unit: 'MB',
        samples: ours[phase].map((s) => Math.round(s.heapMb)),
        baseline: { name: 'delete all, insert all', samples: naive[phase].map((s) => Math.round(s.heapMb)) },
        note: 'JavaScript heap above the starting point, sampled every 5 ms',
      },
    ]);
    return {
      title: 'Directory sync',
      description: `One source of ${base.users.length.toLocaleString('en')} users, ${base.groups.length.toLocaleString('en')} groups and ${memberships.toLocaleString('en')} memberships, synced by PgDirectoryStore (diff, then apply only the difference in one transaction) and by deleting and re-inserting everything in one transaction, each on its own fresh database, ${ctx.runs} run(s).`,
      measurements,
    };
  },
};

// `node bench/directory.bench.ts` runs this benchmark alone and prints the figures.
if (import.meta.main) {
  const adminUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl)
    throw new Error('set DATABASE_URL to a PostgreSQL server the benchmark may create databases on');
  const runs = Number(process.env.DPBOT_BENCH_RUNS ?? 1);
  const section = await directoryBenchmark.run({ adminUrl, runs, log: (line) => console.log(line) });
  console.log(`\n${section.title}\n${section.description}\n`);
  for (const m of section.measurements) {
    const ours = stats(m.samples);
    const theirs = m.baseline ? stats(m.baseline.samples) : undefined;
    const ratio =
      theirs && theirs.median > 0 ? ` (${(ours.median / theirs.median).toFixed(3)}× the baseline)` : '';
    console.log(
      `${m.name.padEnd(36)} ${String(ours.median).padStart(9)} ${m.unit}   baseline ${String(theirs?.median ?? '-').padStart(9)} ${m.unit}${ratio}`,
    );
  }
}
