import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../db/connect.ts';
import { journal, migrationsApplied, runMigrations } from '../../db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const log = pino({ level: 'silent' });
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  // Start from nothing: the clone comes migrated, so take everything away first.
  await database.query(
    'DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE',
  );
});
afterAll(() => database.drop());

describe('migrations', () => {
  it('apply once even when two processes start together, and again is a no-op', async () => {
    const a = connect(database.url, 2, log);
    const b = connect(database.url, 2, log);
    try {
      expect(await migrationsApplied(a.pool)).toBe(false);
      const [ra, rb] = await Promise.all([runMigrations(a.pool, log), runMigrations(b.pool, log)]);
      const total = journal().entries.length;
      // One of them applied everything; the other waited on the lock and found nothing to do.
      expect([ra.applied, rb.applied].sort()).toEqual([0, total]);
      expect(await migrationsApplied(a.pool)).toBe(true);
      expect((await runMigrations(a.pool, log)).applied).toBe(0);
      const rows = await database.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
      );
      expect(rows.rows[0]?.n).toBe(total);
    } finally {
      await a.pool.end();
      await b.pool.end();
    }
  });

  it('creates the audit chain head and its triggers', async () => {
    // Migrated, whether or not the case above ran (then this applies nothing).
    const c = connect(database.url, 1, log);
    try {
      await runMigrations(c.pool, log);
    } finally {
      await c.pool.end();
    }
    const head = await database.query('SELECT last_id, last_hash FROM audit_head');
    expect(head.rows).toEqual([{ last_id: '0', last_hash: '0'.repeat(64) }]);
    const triggers = await database.query<{ tgname: string }>(
      "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal ORDER BY tgname",
    );
    expect(triggers.rows.map((r) => r.tgname)).toEqual([
      'audit_head_advance',
      'audit_log_chain',
      'audit_log_immutable',
      'audit_log_no_truncate',
    ]);
  });
});
