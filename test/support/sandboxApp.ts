import pino from 'pino';
import { type App, createApp } from '../../app/app.ts';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import { type RunningSandbox, startSandbox } from '../../app/sandbox/index.ts';
import { exampleDataDir } from './dataDir.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export interface SandboxApp {
  sandbox: RunningSandbox;
  database: TestDatabase;
  app: App;
  close(): Promise<void>;
}

/**
 * What `npm start` runs, in this process: the example configuration, the repository's policies and
 * sandbox directory, every simulator; on a fresh test database, quiet.
 */
export async function startSandboxApp(
  options: {
    stateDir?: string;
    database?: TestDatabase;
    /** Run the background work too (watchers, reverts), as the console does. */
    runWorkers?: boolean;
    /**
     * Changes the configuration the sandbox made: tests shorten the waits it sets for people
     * watching (release settle and poll times) where no assertion depends on them.
     */
    tune?: (config: RunningSandbox['config']) => void;
  } = {},
): Promise<SandboxApp> {
  const loaded = loadConfig({ path: exampleConfigPath(), env: { DPBOT_DATA_DIR: exampleDataDir() } });
  const sandbox = await startSandbox(loaded.config, undefined, { stateDir: options.stateDir });
  sandbox.config.log.level = 'silent';
  options.tune?.(sandbox.config);
  const database = options.database ?? (await createTestDatabase());
  const app = await createApp({
    loaded: { ...loaded, config: sandbox.config },
    env: { ...sandbox.env, DATABASE_URL: database.url },
    log: pino({ level: 'silent' }),
    ...(options.runWorkers ? { runWorkers: true } : {}),
  });
  return {
    sandbox,
    database,
    app,
    close: async () => {
      await app.close();
      await sandbox.stop();
      // A database handed in outlives this app (a restart); one made here goes with it.
      if (!options.database) await database.drop();
    },
  };
}
