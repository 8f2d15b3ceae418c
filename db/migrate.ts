import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ConfigError, errorMessage } from '../core/errors.ts';
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
  const total = journal().entries.length;
  // Up to date: nothing to create, so a role that owns nothing (see grantRuntimeRole) can start.
  if ((await appliedCount(pool).catch(() => 0)) >= total) return { applied: 0, total };
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const before = await appliedCount(client);
      try {
        await migrate(drizzle({ client }), { migrationsFolder: migrationsFolder() });
      } catch (error) {
        if (!insufficientPrivilege(error)) throw error;
        throw new ConfigError('DATABASE_URL', [
          `${total - before} database migration(s) are pending, and this role may not apply them (${errorMessage(error)}): run \`dpbot migrate\` with the DATABASE_URL of the role that owns dpbot's tables (README, "Least privilege")`,
        ]);
      }
      const after = await appliedCount(client);
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

function insufficientPrivilege(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    // insufficient_privilege, and "must be owner" (raised with the same class, 42501).
    if (code === '42501') return true;
  }
  return false;
}

/**
 * Gives `role` what dpbot needs at run time, and no more: read and write its tables, except that
 * the audit log takes only INSERT (and SELECT), and the chain head only SELECT (the chain
 * triggers run as their owner). It owns nothing, so it cannot disable a trigger, replace a
 * function or rewrite the log. Run by `dpbot migrate --grant <role>` as the owning role, after
 * the migrations and the job queue's schema are in place; safe to run again after each upgrade.
 */
export async function grantRuntimeRole(pool: pg.Pool, role: string): Promise<void> {
  const client = await pool.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount === 0)
      throw new ConfigError('--grant', [
        `there is no role "${role}"; create it first (CREATE ROLE ${role} LOGIN ...)`,
      ]);
    const owner = await client.query<{ owns: boolean }>(
      "SELECT pg_has_role($1, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass), 'USAGE') AS owns",
      [role],
    );
    if (owner.rows[0]?.owns)
      throw new ConfigError('--grant', [
        `"${role}" owns dpbot's tables (or is a member of the role that does): the runtime role must be another one`,
      ]);
    const r = client.escapeIdentifier(role);
    await client.query('BEGIN');
    for (const schema of ['current_schema()', "'pgboss'", "'drizzle'"]) {
      const name = (
        await client.query<{ n: string | null }>(
          `SELECT nspname AS n FROM pg_namespace WHERE nspname = ${schema}`,
        )
      ).rows[0]?.n;
      if (!name) continue;
      const s = client.escapeIdentifier(name);
      await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
      if (name === 'drizzle') {
        // Which migrations are applied (start checks, and /readyz).
        await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
        continue;
      }
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
      await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`);
      // pg-boss creates queues through its functions.
      if (name === 'pgboss') await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO ${r}`);
    }
    await client.query(`REVOKE ALL ON audit_log, audit_head FROM ${r}`);
    await client.query(`GRANT SELECT, INSERT ON audit_log TO ${r}`);
    await client.query(`GRANT SELECT ON audit_head TO ${r}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
