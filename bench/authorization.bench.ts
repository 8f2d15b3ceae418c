import { sql } from 'drizzle-orm';
import { PgAccessStore } from '../db/stores/accessStore.ts';
import { decide } from '../policies/decide.ts';
import type { Benchmark, BenchSection } from './harness.ts';
import { benchDatabase, percentile } from './support.ts';

const USERS = 10_000;
const GROUPS = 1_000;
const MEMBERSHIPS = 50_000;
const GRANTS = 5_000;
const DECISIONS = 2_000;

/**
 * One authorization decision as the pipeline makes it — load the caller with groups and grants
 * in one query, then decide — against the cheapest round trip there is, a primary-key SELECT.
 */
export const authorizationBenchmark: Benchmark = {
  name: 'authorization',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    try {
      ctx.log(
        `authorization: seeding ${USERS} users, ${GROUPS} groups, ${MEMBERSHIPS} memberships, ${GRANTS} grants`,
      );
      const n = (value: number) => sql.raw(String(value));
      const seed = [
        sql`INSERT INTO users (email, name) SELECT 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, ${n(USERS)}) i`,
        sql`INSERT INTO user_sources (user_id, source, active) SELECT id, 'file', true FROM users`,
        sql`INSERT INTO groups (name, source) SELECT 'file:group-' || i, 'file' FROM generate_series(1, ${n(GROUPS)}) i`,
        // Each user in MEMBERSHIPS / USERS distinct groups.
        sql`INSERT INTO memberships (group_id, user_id, source)
            SELECT 1 + (u * 7 + k * 211) % ${n(GROUPS)}, u, 'file'
            FROM generate_series(1, ${n(USERS)}) u, generate_series(0, ${n(MEMBERSHIPS / USERS - 1)}) k`,
        sql`INSERT INTO group_grants (group_name, actions, resources, limits, origin)
            SELECT 'file:group-' || (1 + i % ${n(GROUPS)}), ARRAY['workers.scale', 'workers.read'], ARRAY['team:team-' || (i % 200)],
                   jsonb_build_object('maxReplicas', 10 + i % 20), 'bench#' || i
            FROM generate_series(1, ${n(GRANTS)}) i`,
        sql`ANALYZE`,
      ];
      for (const statement of seed) await bench.db.execute(statement);
      const memberships = Number(
        (await bench.pool.query('SELECT count(*) AS n FROM memberships')).rows[0]?.n,
      );
      const access = new PgAccessStore(bench.db);
      const p50: number[] = [];
      const p99: number[] = [];
      const base50: number[] = [];
      const base99: number[] = [];
      for (let run = 0; run < ctx.runs; run++) {
        const decisions: number[] = [];
        const selects: number[] = [];
        for (let i = 0; i < DECISIONS; i++) {
          const user = 1 + ((i * 7 + run * 131) % USERS);
          let t = performance.now();
          const caller = await access.loadCaller(`user${user}@example.com`);
          decide(caller?.grants ?? [], {
            action: 'workers.scale',
            resource: `team:team-${i % 200}`,
            limits: { maxReplicas: 12 },
          });
          decisions.push(performance.now() - t);
          t = performance.now();
          await bench.pool.query('SELECT id, email FROM users WHERE id = $1', [user]);
          selects.push(performance.now() - t);
        }
        decisions.sort((a, b) => a - b);
        selects.sort((a, b) => a - b);
        p50.push(percentile(decisions, 50));
        p99.push(percentile(decisions, 99));
        base50.push(percentile(selects, 50));
        base99.push(percentile(selects, 99));
        ctx.log(
          `authorization run ${run + 1}: p50 ${p50.at(-1)?.toFixed(3)} ms, p99 ${p99.at(-1)?.toFixed(3)} ms`,
        );
      }
      return {
        title: 'Authorization decision',
        description: `${USERS.toLocaleString('en')} users, ${GROUPS.toLocaleString('en')} groups, ${memberships.toLocaleString('en')} memberships, ${GRANTS.toLocaleString('en')} grants; ${DECISIONS.toLocaleString('en')} decisions per run (load the caller's groups and grants in one query, then decide), against a primary-key SELECT round trip.`,
        measurements: [
          {
            name: 'p50 per decision',
            unit: 'ms',
            samples: p50,
            baseline: { name: 'PK SELECT p50', samples: base50 },
          },
          {
            name: 'p99 per decision',
            unit: 'ms',
            samples: p99,
            baseline: { name: 'PK SELECT p99', samples: base99 },
          },
        ],
      };
    } finally {
      await bench.drop();
    }
  },
};
