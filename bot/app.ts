import type { Logger } from 'pino';
import { type Database, openDatabase } from '../db/connect.ts';
import { runMigrations } from '../db/migrate.ts';
import { PgAccessStore } from '../db/stores/accessStore.ts';
import { PgAuditStore } from '../db/stores/auditStore.ts';
import { PgDirectoryStore } from '../db/stores/directoryStore.ts';
import { PgPendingStore } from '../db/stores/pendingStore.ts';
import { PgReleaseStore } from '../db/stores/releaseStore.ts';
import { allCommands, allWorkers } from '../handlers/index.ts';
import { argoCdFromConfig } from '../integrations/argocd/argoCdClient.ts';
import { githubFromConfig } from '../integrations/github/githubClient.ts';
import type { ReleaseTracker } from '../integrations/tracker/releaseTracker.ts';
import { checkPolicies } from '../policies/policyFiles.ts';
import { type LoadedConfig, resolveConfigRelative } from './config/loadConfig.ts';
import { type Env, readSecret } from './config/secrets.ts';
import { syncDirectorySources } from './directorySync.ts';
import { ConfigError } from './errors.ts';
import { DirectoryIdentity, type SlackProfileLookup } from './identity.ts';
import { type Jobs, startJobs } from './jobs.ts';
import { LogNotifier, type Notifier } from './notifier.ts';
import type { Command } from './pipeline/defineCommand.ts';
import { CommandPipeline } from './pipeline/pipeline.ts';
import { CommandRegistry } from './pipeline/registry.ts';
import type { Services } from './services.ts';

export interface App {
  services: Services;
  pipeline: CommandPipeline;
  database: Database;
  close(): Promise<void>;
}

export interface AppOptions {
  loaded: LoadedConfig;
  env: Env;
  log: Logger;
  /** Slack users.info lookups, when dpbot serves Slack. */
  slackProfiles?: SlackProfileLookup;
  /** Sync the file directory sources before the first command (default true; `dpbot sync` does its own). */
  syncOnStart?: boolean;
  /** Start the background workers and schedules (the server and the console do; one-shot commands do not). */
  runWorkers?: boolean;
  /** Where background work posts messages; default: the log (one-shot CLI commands post nothing). */
  notifier?: Notifier;
  /** Commands besides dpbot's own (tests use this to exercise the pipeline with fixtures). */
  extraCommands?: Command[];
  now?: () => Date;
  /** The issue tracker for releases (Jira), when one is configured. */
  releaseTracker?: ReleaseTracker;
}

export function buildRegistry(extra: readonly Command[] = []): CommandRegistry {
  return new CommandRegistry().register(...allCommands, ...extra);
}

/** Opens the database (embedded when DATABASE_URL is unset) and applies the migrations. */
export async function openMigratedDatabase(loaded: LoadedConfig, env: Env, log: Logger): Promise<Database> {
  const { database } = loaded.config;
  const url = readSecret(env, 'DATABASE_URL');
  const db = await openDatabase({
    ...(url ? { url } : {}),
    dataDir: resolveConfigRelative(loaded, database.dataDir),
    embeddedPort: database.embeddedPort,
    poolSize: database.poolSize,
    log,
  });
  try {
    await runMigrations(db.pool, log);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Checks the policy files and applies them in one transaction; errors stop the start. */
export async function applyPolicies(
  services: Services,
  loaded: LoadedConfig,
): Promise<{ changed: boolean; count: number }> {
  const dir = resolveConfigRelative(loaded, services.config.access.policies);
  const known = await services.access.knownNames();
  const check = checkPolicies(dir, services.registry.catalog, known, loaded.baseDir);
  if (check.errors.length > 0) throw new ConfigError(`policies in ${dir}`, check.errors);
  for (const warning of check.warnings) services.log.warn(warning);
  const result = await services.access.replacePolicyGrants(check.grants);
  services.log.info(
    { grants: result.count, changed: result.changed, files: check.files },
    'policies applied',
  );
  return result;
}

/**
 * Builds everything from the configuration: database, stores, registry, identity, pipeline; then
 * syncs the file directory sources and applies the policies, so the first command sees them.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { loaded, env, log } = options;
  const config = loaded.config;
  const database = await openMigratedDatabase(loaded, env, log);
  let jobs: Jobs | undefined;
  try {
    jobs = await startJobs({
      url: database.url,
      log,
      pollIntervalSeconds: Math.max(0.5, config.jobs.pollInterval / 1000),
      schedule: options.runWorkers ?? false,
    });
    const access = new PgAccessStore(database.db);
    const registry = buildRegistry(options.extraCommands);
    const services: Services = {
      config,
      configDir: loaded.baseDir,
      db: database.db,
      pool: database.pool,
      access,
      audit: new PgAuditStore(database.db),
      directory: new PgDirectoryStore(database.db),
      pending: new PgPendingStore(database.db),
      identity: new DirectoryIdentity(access, config.access.adminContact, options.slackProfiles),
      registry,
      jobs,
      notifier: options.notifier ?? new LogNotifier(log),
      log,
      now: options.now ?? (() => new Date()),
      releases: new PgReleaseStore(database.db),
      github: githubFromConfig(config, { env, log }),
      argocd: argoCdFromConfig(config, { env, log }),
      releaseTracker: options.releaseTracker,
    };
    if (options.syncOnStart ?? true) await syncDirectorySources(services, { only: 'file' });
    await applyPolicies(services, loaded);
    const pipeline = new CommandPipeline(services);
    if (options.runWorkers) for (const register of allWorkers) await register(services, pipeline);
    const started = jobs;
    return {
      services,
      pipeline,
      database,
      close: async () => {
        await started.stop();
        await database.close();
      },
    };
  } catch (error) {
    await jobs?.stop({ graceful: false });
    await database.close();
    throw error;
  }
}
