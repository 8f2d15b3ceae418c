import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { DoctorCheck } from '../../core/doctor.ts';
import type { Db } from '../../db/connect.ts';
import { journal, migrationsApplied } from '../../db/migrate.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';

const SYSTEM = 'database';

/**
 * The database answers, every migration is applied (read, never applied here: a check that
 * migrates would always pass), and the audit chain verifies.
 */
export function databaseChecks(database: { db: Db; pool: pg.Pool } | Error): DoctorCheck[] {
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
  return [
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
    {
      ...base,
      subject: 'audit',
      run: async () => {
        if (!(await migrationsApplied(database.pool)))
          return {
            status: 'fail',
            message: 'cannot verify the audit chain before every migration is applied',
            fix: 'run `dpbot migrate`, then `dpbot doctor` again',
          };
        const result = await new PgAuditStore(database.db).verify();
        return result.ok
          ? { status: 'ok', message: `audit chain intact (${result.rows} row(s))` }
          : {
              status: 'fail',
              message: `audit chain broken at row ${result.brokenAt}: ${result.problem}`,
              fix: 'the audit log was changed outside dpbot: restore audit_log from a backup taken before it, then run `dpbot audit verify`',
            };
      },
      onError: (error) => ({
        status: 'fail',
        message: `cannot verify the audit chain: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
        fix: 'run `dpbot migrate`, then `dpbot audit verify`',
      }),
    },
  ];
}
