import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';
import type { Logger } from 'pino';
import { migrationsFolder } from '../core/paths.ts';

/** Any constant shared by every dpbot process; it names the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x6470_626f; // "dpbo"

interface Journal {
  entries: { tag: string; when: number }[];
}

export function journal(): Journal {
  return JSON.parse(readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as Journal;
}

/**
 * Applies the committed migrations. Two processes starting at once both call this: the advisory
 * lock makes the second wait and then find nothing left to do.
 */
export async function runMigrations(pool: pg.Pool, log: Logger): Promise<{ applied: number; total: number }> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const before = await appliedCount(client);
      await migrate(drizzle({ client }), { migrationsFolder: migrationsFolder() });
      const after = await appliedCount(client);
      const total = journal().entries.length;
      if (after > before) log.info({ applied: after - before, total }, 'database migrations applied');
      return { applied: after - before, total };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function appliedCount(client: pg.PoolClient | pg.Pool): Promise<number> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return 0;
  const result = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
  );
  return result.rows[0]?.n ?? 0;
}

/** True when every committed migration has been applied (for /readyz). */
export async function migrationsApplied(pool: pg.Pool): Promise<boolean> {
  return (await appliedCount(pool)) >= journal().entries.length;
}
