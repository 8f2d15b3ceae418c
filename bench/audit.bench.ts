import { sql } from 'drizzle-orm';
import { auditRowPages, beginAuditRead } from '../db/audit/auditRanges.ts';
import { PgAuditStore } from '../db/stores/auditStore.ts';
import type { Benchmark, BenchSection } from './harness.ts';
import { benchDatabase } from './support.ts';

const WRITERS = 20;
/** Smaller loads while developing: BENCH_AUDIT_ROWS_PER_WRITER=50 BENCH_AUDIT_VERIFY_ROWS=50000. */
const ROWS_PER_WRITER = Number(process.env.BENCH_AUDIT_ROWS_PER_WRITER ?? 250);
const VERIFY_ROWS = Number(process.env.BENCH_AUDIT_VERIFY_ROWS ?? 1_000_000);
const PAGE_SIZE = 5000;

const entry = (w: number, i: number) => ({
  requestId: `w${w}-${i}`,
  kind: 'attempt' as const,
  entry: 'slack',
  email: `user${w}@example.com`,
  slackUserId: `U${w}`,
  channel: 'C0OPS00001',
  command: 'scale',
  commandText: `scale team-${w} ${i % 20}`,
  args: { team: `team-${w}`, replicas: String(i % 20) },
  action: 'workers.scale',
  resource: `team:team-${w}`,
  decision: 'allow' as const,
  reason: 'group file:oncall may workers.scale on team:* (policies/teams.yaml#grants[0])',
});

/**
 * Appending to the hash-chained audit log from 20 concurrent writers (every row locks the chain
 * head; the store groups concurrent appends into one statement), against the same rows inserted
 * one per statement into an identical table without the chain; and verifying a
 * million-row chain, against reading the same rows once.
 */
export const auditBenchmark: Benchmark = {
  name: 'audit',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    try {
      await bench.db.execute(
        sql`CREATE TABLE audit_plain (LIKE audit_log INCLUDING DEFAULTS); CREATE SEQUENCE audit_plain_seq;
            CREATE TABLE audit_indexed (LIKE audit_log INCLUDING DEFAULTS INCLUDING INDEXES)`,
      );
      const store = new PgAuditStore(bench.db);
      const chained: number[] = [];
      const plain: number[] = [];
      const indexed: number[] = [];
      /** The same rows, one INSERT per row, into a table without the chain; rows/s. */
      const plainInserts = async (table: string) => {
        const t = performance.now();
        await Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            for (let i = 0; i < ROWS_PER_WRITER; i++) {
              const e = entry(w, i);
              await bench.pool.query(
                `INSERT INTO ${table} (id, request_id, kind, entry, email, slack_user_id, channel, command, command_text, args, action, resource, decision, reason)
                 VALUES (nextval('audit_plain_seq'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
                [
                  e.requestId,
                  e.kind,
                  e.entry,
                  e.email,
                  e.slackUserId,
                  e.channel,
                  e.command,
                  e.commandText,
                  JSON.stringify(e.args),
                  e.action,
                  e.resource,
                  e.decision,
                  e.reason,
                ],
              );
            }
          }),
        );
        return (WRITERS * ROWS_PER_WRITER) / ((performance.now() - t) / 1000);
      };
      for (let run = 0; run < ctx.runs; run++) {
        const t = performance.now();
        await Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            for (let i = 0; i < ROWS_PER_WRITER; i++) await store.append(entry(w, i));
          }),
        );
        chained.push((WRITERS * ROWS_PER_WRITER) / ((performance.now() - t) / 1000));
        plain.push(await plainInserts('audit_plain'));
        indexed.push(await plainInserts('audit_indexed'));
        ctx.log(
          `audit run ${run + 1}: chained ${chained.at(-1)?.toFixed(0)} rows/s, plain ${plain.at(-1)?.toFixed(0)} rows/s, plain with the log's indexes ${indexed.at(-1)?.toFixed(0)} rows/s`,
        );
      }

      const have = Number((await bench.pool.query('SELECT count(*) AS n FROM audit_log')).rows[0]?.n);
      ctx.log(
        `audit: filling the chain to ${VERIFY_ROWS.toLocaleString('en')} rows (the trigger hashes every row)`,
      );
      // In batches of 1,000 rows, each its own transaction (dpbot itself writes at most 100 rows
      // per statement).
      for (let from = have + 1; from <= VERIFY_ROWS; from += 1000) {
        await bench.pool.query(
          `INSERT INTO audit_log (request_id, kind, entry, email, command, command_text, args, action, resource, decision, reason)
           SELECT 'fill-' || i, 'attempt', 'slack', 'user' || (i % 1000) || '@example.com', 'scale', 'scale team-x ' || (i % 20),
                  jsonb_build_object('team', 'team-x', 'replicas', (i % 20)::text), 'workers.scale', 'team:team-x', 'allow', 'bench'
           FROM generate_series($1::int, $2::int) i`,
          [from, Math.min(VERIFY_ROWS, from + 999)],
        );
      }
      await bench.pool.query('VACUUM ANALYZE audit_log');
      const verify: number[] = [];
      const read: number[] = [];
      const canonical: number[] = [];
      for (let run = 0; run < ctx.runs; run++) {
        let t = performance.now();
        const result = await store.verify({ pageSize: PAGE_SIZE });
        verify.push((performance.now() - t) / 1000);
        if (!result.ok || result.rows !== VERIFY_ROWS)
          throw new Error(`verify did not pass: ${JSON.stringify(result)}`);
        t = performance.now();
        // The same pages the verifier reads, one after another, and nothing done with them.
        const client = await bench.pool.connect();
        let seen = 0;
        try {
          await beginAuditRead(client);
          for await (const rows of auditRowPages(client, { from: 1 }, PAGE_SIZE, false)) seen += rows.length;
          await client.query('ROLLBACK');
        } finally {
          client.release();
        }
        if (seen !== VERIFY_ROWS) throw new Error(`read ${seen} rows, not ${VERIFY_ROWS}`);
        const inDatabase = performance.now();
        // The earlier baseline, when the database verified the chain: each row's canonical text
        // built once, in the database, sent nowhere.
        await bench.pool.query('SELECT sum(length(audit_row_canonical(a))) FROM audit_log a');
        canonical.push((performance.now() - inDatabase) / 1000);
        read.push((performance.now() - t) / 1000);
        ctx.log(
          `audit verify run ${run + 1}: ${verify.at(-1)?.toFixed(2)} s (reading the rows: ${read.at(-1)?.toFixed(2)} s, canonical text in SQL: ${canonical.at(-1)?.toFixed(2)} s)`,
        );
      }
      return {
        title: 'Audit log',
        description: `Append: ${WRITERS} concurrent writers × ${ROWS_PER_WRITER} rows each through the audit store (hash chain computed by a row trigger under the head lock, the head moved once per statement; appends that arrive while a write is under way go out together as one prepared multi-row INSERT, at most 100 rows), against the same rows inserted one per statement into a table of the same columns without the chain (and without indexes; the second row: with the log's five indexes). Verify: recompute and check the whole chain of ${VERIFY_ROWS.toLocaleString('en')} rows in dpbot's process (one snapshot cut into as many parts as cores, up to 4, verified side by side by worker threads; pages of ${PAGE_SIZE.toLocaleString('en')} rows, the next page read while one is hashed), against reading the same pages into the process once, one after another (the second row: against the earlier baseline, the database building each row's canonical text once and sending nothing).`,
        measurements: [
          {
            name: 'append, 20 writers',
            unit: 'rows/s',
            samples: chained,
            baseline: { name: 'plain insert', samples: plain },
          },
          {
            name: 'append, 20 writers, against a table with the same indexes',
            unit: 'rows/s',
            samples: chained,
            baseline: { name: 'plain insert, indexed', samples: indexed },
          },
          {
            name: `verify ${VERIFY_ROWS.toLocaleString('en')} rows`,
            unit: 's',
            samples: verify,
            baseline: { name: 'read rows once', samples: read },
          },
          {
            name: `verify ${VERIFY_ROWS.toLocaleString('en')} rows, against the database building each row's text`,
            unit: 's',
            samples: verify,
            baseline: { name: 'canonical text in SQL', samples: canonical },
          },
        ],
      };
    } finally {
      await bench.drop();
    }
  },
};
