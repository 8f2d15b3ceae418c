import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { DoctorCheck } from '../../core/doctor.ts';
import type { ChainAnchor } from '../../db/audit/auditRanges.ts';
import type { Db } from '../../db/connect.ts';
import { journal, migrationsApplied } from '../../db/migrate.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';

const SYSTEM = 'database';

/** What the audit check holds the log to, besides its own chain. */
export interface AuditAnchors {
  /**
   * The signed checkpoints (read and their signatures checked), or why they cannot be:
   * undefined when no checkpoint key is configured.
   */
  read(): Promise<{ checkpoints: readonly ChainAnchor[]; problems: string[] } | undefined>;
}

/**
 * The database answers, every migration is applied (read, never applied here: a check that
 * migrates would always pass), and the audit chain verifies — held to its signed checkpoints when
 * a key is configured. `chain: false` (the short form run at every start) leaves the chain out: a
 * full pass over a large log is work for `dpbot doctor` and `dpbot audit verify`, not for a start.
 */
export function databaseChecks(
  database: { db: Db; pool: pg.Pool } | Error,
  options: { chain: boolean; anchors?: AuditAnchors } = { chain: true },
): DoctorCheck[] {
  const base = { system: SYSTEM, subject: '', simulated: false };
  if (database instanceof Error)
    return [
      {
        ...base,
        run: async () => ({
          status: 'fail',
          message: `cannot connect: ${database.message}`,
          fix: 'check DATABASE_URL (or database.dataDir for the embedded one) and that PostgreSQL answers',
        }),
      },
    ];
  const checks: DoctorCheck[] = [
    {
      ...base,
      subject: 'migrations',
      run: async () => {
        await database.db.execute(sql`SELECT 1`);
        const total = journal().entries.length;
        return (await migrationsApplied(database.pool))
          ? { status: 'ok', message: `answers; all ${total} migrations applied` }
          : {
              status: 'fail',
              message: 'answers, but not every migration is applied',
              fix: 'run `dpbot migrate` (dpbot start applies them too)',
            };
      },
      onError: (error) => ({
        status: 'fail',
        message: `does not answer: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'check DATABASE_URL and that PostgreSQL answers',
      }),
    },
  ];
  if (!options.chain) return checks;
  checks.push({
    ...base,
    subject: 'audit',
    run: async () => {
      if (!(await migrationsApplied(database.pool)))
        return {
          status: 'fail',
          message: 'cannot verify the audit chain before every migration is applied',
          fix: 'run `dpbot migrate`, then `dpbot doctor` again',
        };
      const anchors = await options.anchors?.read();
      const result = await new PgAuditStore(database.db).verify(
        anchors ? { checkpoints: anchors.checkpoints } : {},
      );
      if (!result.ok)
        return {
          status: 'fail',
          message: `audit chain broken at row ${result.brokenAt}: ${result.problem}`,
          fix: 'the audit log was changed outside dpbot: restore audit_log from a backup taken before it, then run `dpbot audit verify`',
        };
      const intact = `audit chain intact (${result.rows} row(s))`;
      if (!anchors)
        return {
          status: 'warn',
          message: `${intact}, but not anchored outside the database: its owner could rewrite it undetected`,
          fix: 'set DPBOT_AUDIT_CHECKPOINT_KEY (openssl genpkey -algorithm ed25519) so serving processes sign checkpoints of the chain head (README, "The audit log")',
        };
      if (anchors.problems.length > 0)
        return {
          status: 'fail',
          message: `${intact}, but the checkpoint file has problems: ${anchors.problems.join('; ')}`,
          fix: 'the checkpoint file was changed or signed with another key: compare it with its backup, and check DPBOT_AUDIT_CHECKPOINT_KEY',
        };
      return {
        status: 'ok',
        message: `${intact}; ${anchors.checkpoints.length} signed checkpoint(s) matched`,
      };
    },
    onError: (error) => ({
      status: 'fail',
      message: `cannot verify the audit chain: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
      fix: 'run `dpbot migrate`, then `dpbot audit verify`',
    }),
  });
  return checks;
}
