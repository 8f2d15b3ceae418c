import { sql } from 'drizzle-orm';
import type { Tx } from '../../../db/connect.ts';

/** How long the bulk load may wait for its exclusive locks before the row-by-row insert is used instead. */
const LOCK_WAIT = '2s';
const BATCH = 50_000;

/**
 * Inserts memberships into an EMPTY memberships table the way PostgreSQL's "Populating a
 * Database" advice says: without the primary key, the user index and the two foreign keys, which
 * are then rebuilt in one pass each. Row by row, every membership costs two foreign-key trigger
 * lookups and two index insertions, which is most of a first sync; rebuilt afterwards, the index
 * is one sort and each foreign key one join.
 *
 * Only when the table is empty (the directory's first sync), because dropping a foreign key locks
 * memberships, users and groups exclusively until the sync commits: with nothing in memberships,
 * no group grant can match yet, so a command arriving meanwhile only waits (for the length of the
 * load) where it would otherwise have been denied. The definitions are read from the catalog
 * and restored exactly, so the migrations stay the one place they are written.
 *
 * Returns the rows inserted, or undefined when the bulk path does not apply and nothing was
 * changed: the table has rows, the locks could not be taken within LOCK_WAIT, or dpbot's database
 * role may not alter the table (it does not own it).
 */
export async function loadMembershipsInBulk(
  tx: Tx,
  source: string,
  pairs: readonly (readonly [groupId: number, userId: number])[],
): Promise<number | undefined> {
  if (!(await isEmpty(tx))) return undefined;
  const definitions = await tx.execute<{ drop: string; restore: string; kind: string }>(sql`
    SELECT format('ALTER TABLE memberships DROP CONSTRAINT %I', conname) AS drop,
           format('ALTER TABLE memberships ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) AS restore,
           contype::text AS kind
      FROM pg_constraint
     WHERE conrelid = 'memberships'::regclass AND contype IN ('p', 'f')
    UNION ALL
    SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 'i'
      FROM pg_index i
     WHERE i.indrelid = 'memberships'::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`);
  // Foreign keys go first and come back last; the primary key and indexes in between.
  const order = (kind: string) => (kind === 'f' ? 0 : kind === 'p' ? 1 : 2);
  const steps = [...definitions.rows].sort((a, b) => order(a.kind) - order(b.kind));
  try {
    // A savepoint, so that a lock wait that runs out leaves the sync's transaction usable.
    const inserted = await tx.transaction(async (inner) => {
      await inner.execute(sql.raw(`SET LOCAL lock_timeout = '${LOCK_WAIT}'`));
      await inner.execute(sql`LOCK TABLE memberships, users, groups IN ACCESS EXCLUSIVE MODE`);
      await inner.execute(sql`SET LOCAL lock_timeout = 0`);
      // Another sync may have filled it between the first look and the lock.
      if (!(await isEmpty(inner))) return undefined;
      for (const step of steps) await inner.execute(sql.raw(step.drop));
      let rows = 0;
      for (let i = 0; i < pairs.length; i += BATCH) {
        const batch = pairs.slice(i, i + BATCH);
        const result = await inner.execute(sql`
          INSERT INTO memberships (group_id, user_id, source)
          SELECT x.group_id, x.user_id, ${source}
          FROM unnest(${sql.param(batch.map((p) => p[0]))}::int[], ${sql.param(batch.map((p) => p[1]))}::int[]) AS x(group_id, user_id)`);
        rows += result.rowCount ?? 0;
      }
      for (const step of steps.toReversed()) await inner.execute(sql.raw(step.restore));
      return rows;
    });
    return inserted;
  } catch (error) {
    if (isLockTimeout(error) || isNotOwner(error)) return undefined;
    throw error;
  }
}

async function isEmpty(tx: Tx): Promise<boolean> {
  const r = await tx.execute<{ empty: boolean }>(sql`SELECT NOT EXISTS (SELECT 1 FROM memberships) AS empty`);
  return r.rows[0]?.empty === true;
}

/** The PostgreSQL error code of an error, possibly wrapped by drizzle. */
function pgCode(error: unknown): unknown {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) return code;
  }
  return undefined;
}

/** lock_not_available: another session held a lock for longer than LOCK_WAIT. */
const isLockTimeout = (error: unknown) => pgCode(error) === '55P03';
/** insufficient_privilege: only the table's owner may drop and add its keys. */
const isNotOwner = (error: unknown) => pgCode(error) === '42501';
