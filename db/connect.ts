import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Logger } from 'pino';
import { applicationName } from '../core/applicationName.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded.ts';
import * as schema from './schema.ts';

/** The database, with the pool it runs on (`$client`) for what needs a client of its own. */
export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** The handle a `db.transaction` callback gets. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  /** How to reach it (for pg-boss, which keeps its own small pool). Contains credentials: never log it. */
  url: string;
  db: Db;
  pool: pg.Pool;
  /** Set when dpbot started its own PostgreSQL because DATABASE_URL was not given. */
  embedded?: EmbeddedPostgresHandle;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** DATABASE_URL; when absent an embedded PostgreSQL is started under `dataDir`. */
  url?: string;
  dataDir: string;
  embeddedPort: number;
  poolSize: number;
  log: Logger;
}

/**
 * Connections the pool keeps open however long it is idle (beyond these, an idle one closes after
 * pg-pool's 10 s): the ones the warm-up prepares at start, still ready when the first command
 * comes minutes after a deploy.
 */
export const KEPT_CONNECTIONS = 3;

export function connect(url: string, poolSize: number, log: Logger): Pick<Database, 'db' | 'pool'> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    min: Math.min(KEPT_CONNECTIONS, poolSize),
    connectionTimeoutMillis: 10_000,
    application_name: applicationName('dpbot'),
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would end the
  // process. The next query reconnects. While the pool is ending, the server closing connections
  // is expected.
  pool.on('error', (error) => {
    if (!pool.ending) log.warn({ err: error }, 'idle database connection lost');
  });
  // A client checked out of the pool has no 'error' listener of the pool's, so its connection
  // lost between two queries (a transaction waiting on Kubernetes) would end the process. With
  // this one its next query fails instead, and whoever holds it handles that.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      if (!pool.ending) log.warn({ err: error }, 'database connection lost while in use');
    });
  });
  return { pool, db: drizzle({ client: pool, schema }) };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = options.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: options.dataDir,
      port: options.embeddedPort,
      log: options.log,
    });
    url = embedded.url;
  }
  const { pool, db } = connect(url, options.poolSize, options.log);
  let closed = false;
  return {
    url,
    db,
    pool,
    ...(embedded ? { embedded } : {}),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
      await embedded?.stop();
    },
  };
}
