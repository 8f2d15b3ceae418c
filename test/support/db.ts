import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { inject } from 'vitest';
import { connect, type Db } from '../../db/connect.ts';
import { databaseUrl } from './urls.ts';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  db: Db;
  /** Runs SQL as the connecting role, which owns the tables (used to tamper with the audit log). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<T>>;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database for one test file, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `dpbot_t_${randomBytes(6).toString('hex')}`;
  const template = inject('templateDb');
  await admin(async (client) => {
    // Two files cloning the template at the same instant can collide; the second simply retries.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        if (attempt >= 10 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  const url = databaseUrl(inject('adminUrl'), name);
  const { pool, db } = connect(url, 8, pino({ level: 'silent' }));
  return {
    url,
    name,
    pool,
    db,
    query: (text, values) => pool.query(text, values),
    drop: async () => {
      await pool.end();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Makes inserts of `table` rows matching `when` (SQL over NEW) fail, as a database lost at that
 * moment would; returns what takes the failure away again.
 */
export async function failInserts(
  database: Pick<TestDatabase, 'query'>,
  name: string,
  table: string,
  when: string,
): Promise<() => Promise<void>> {
  await database.query(`
    CREATE FUNCTION ${name}() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'connection lost (test)'; END $$ LANGUAGE plpgsql`);
  await database.query(
    `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}()`,
  );
  return async () => {
    await database.query(`DROP TRIGGER ${name} ON ${table}`);
    await database.query(`DROP FUNCTION ${name}()`);
  };
}
