import type { Logger } from 'pino';
import { type Env, readSecret } from '../core/config/secrets.ts';
import { ConfigError } from '../core/errors.ts';
import { createMetrics, type Metrics } from '../core/metrics.ts';
import { type CheckpointSigner, scheduleCheckpoints } from '../db/audit/auditCheckpoints.ts';
import { outboxFile } from '../db/audit/auditOutbox.ts';
import { type Database, openDatabase } from '../db/connect.ts';
import { runMigrations } from '../db/migrate.ts';
import { PgAuditStore } from '../db/stores/auditStore.ts';
import type { SyncRunStore } from '../handlers/directory/index.ts';
import {
  type PolicyReloadResult,
  reloadPolicies,
  syncDirectorySources,
} from '../handlers/directory/index.ts';
import { capabilities } from '../handlers/index.ts';
import { showFreezes } from '../handlers/release/index.ts';
import { taskActions } from '../handlers/tasks/index.ts';
import { kubernetesFromConfig } from '../integrations/kubernetes/kubernetes.ts';
import type { BoundCapability } from '../pipeline/capability.ts';
import type { Command } from '../pipeline/defineCommand.ts';
import {
  expireConfirmations,
  pruneSlackRequests,
  sweepApprovedRequests,
} from '../pipeline/housekeepingJobs.ts';
import type { SlackProfileLookup } from '../pipeline/identity.ts';
import { type Jobs, startJobs } from '../pipeline/jobs.ts';
import type { Notifier } from '../pipeline/notifier.ts';
import { CommandPipeline } from '../pipeline/pipeline.ts';
import { CommandRegistry } from '../pipeline/registry.ts';
import { checkpointFile, checkpointSignerFromEnv } from './auditCheckpointSettings.ts';
import { buildServices } from './buildServices.ts';
import { type LoadedConfig, resolveConfigRelative } from './config/loadConfig.ts';
import type { Config } from './config/schema.ts';
import type { Services } from './services.ts';
import { auditDeps } from './wiring/audit.ts';
import { changesDeps } from './wiring/changes.ts';
import { datasetsDeps } from './wiring/datasets.ts';
import { directoryDeps, policyReload } from './wiring/directory.ts';
import { freezeDeps } from './wiring/freeze.ts';
import { helpDeps } from './wiring/help.ts';
import { releaseDeps } from './wiring/release.ts';
import { scalingDeps } from './wiring/scaling.ts';
import { tasksDeps } from './wiring/tasks.ts';

export interface App {
  services: Services;
  /** Every capability with its dependencies bound: their commands, workers, panels, option lists. */
  capabilities: readonly BoundCapability[];
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
  /** Counters for /metrics; created here when not given (Slack clients count calls into it too). */
  metrics?: Metrics;
  /** How often this process checks for due cron ticks, in seconds (pg-boss default 30; tests shorten it). */
  cronCheckSeconds?: number;
  /** Commands besides dpbot's own (tests use this to exercise the pipeline with fixtures). */
  extraCommands?: Command[];
  /**
   * Stands in for some of what was built, before anything uses it: the Slack sandbox's
   * administrator (app/sandbox/installer.ts) wraps the identity and the sandbox directory's source.
   */
  extend?: (built: Services) => Partial<Pick<Services, 'identity' | 'directorySources'>>;
  now?: () => Date;
}

/**
 * The commands and actions dpbot knows, for listing them and checking policy files against them
 * (`dpbot policies check`) without building anything they need; a running app gets its registry
 * from its bound capabilities instead (see bindCapabilities).
 */
export function buildRegistry(extra: readonly Command[] = [], config?: Config): CommandRegistry {
  const registry = new CommandRegistry();
  for (const capability of Object.values(capabilities)) {
    // Only names, actions and help text are read from these commands; none of them runs.
    registry.register(...(capability.definition.commands as readonly Command[]));
    const { actions } = capability.definition;
    if (Array.isArray(actions)) for (const info of actions) registry.registerAction(info);
  }
  registry.register(...extra);
  // Tasks may name their own action; policy files granting it must find it in the catalog.
  for (const info of config ? taskActions(config) : []) registry.registerAction(info);
  return registry;
}

/**
 * Gives each capability what it declared it needs, built from what createApp built; the
 * capability sees nothing else.
 */
export function bindCapabilities(services: Services): BoundCapability[] {
  return [
    capabilities.help.bind(helpDeps(services)),
    capabilities.directory.bind(directoryDeps(services)),
    capabilities.audit.bind(auditDeps(services)),
    capabilities.datasets.bind(datasetsDeps(services)),
    capabilities.scaling.bind(scalingDeps(services)),
    capabilities.release.bind(releaseDeps(services)),
    capabilities.freeze.bind({
      ...freezeDeps(services),
      changed: () => showFreezes(releaseDeps(services)),
    }),
    capabilities.tasks.bind(tasksDeps(services)),
    capabilities.changes.bind(changesDeps(services)),
  ];
}

/** Opens the database (embedded when DATABASE_URL is unset) as it is: `dpbot doctor` reads, never migrates. */
export function openConfiguredDatabase(loaded: LoadedConfig, env: Env, log: Logger): Promise<Database> {
  const { database } = loaded.config;
  const url = readSecret(env, 'DATABASE_URL');
  return openDatabase({
    ...(url ? { url } : {}),
    dataDir: resolveConfigRelative(loaded, database.dataDir),
    embeddedPort: database.embeddedPort,
    poolSize: database.poolSize,
    log,
  });
}

/** Opens the database (embedded when DATABASE_URL is unset) and applies the migrations. */
export async function openMigratedDatabase(loaded: LoadedConfig, env: Env, log: Logger): Promise<Database> {
  const db = await openConfiguredDatabase(loaded, env, log);
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
  _loaded: LoadedConfig,
  options: { trigger: string; requestedBy?: string | null; force?: boolean } = { trigger: 'start' },
): Promise<{ changed: boolean; count: number; reload: PolicyReloadResult }> {
  const reload = await reloadPolicies(
    { ...directoryDeps(services), policies: policyReload(services) },
    { requestedBy: options.requestedBy ?? null, trigger: options.trigger, force: options.force ?? false },
  );
  if (reload.status === 'held') {
    services.log.warn(
      { holdId: reload.holdId, problem: reload.problem },
      "policy reload held for an admin's approval; the running grants stay",
    );
    return { changed: false, count: reload.change.wanted.length, reload };
  }
  services.log.info({ grants: reload.count, status: reload.status }, 'policies applied');
  return { changed: reload.status === 'applied', count: reload.count, reload };
}

/**
 * Local directory files are part of the configuration, so they are synced before the first
 * command; one that cannot be read stops the start like any configuration error. Remote sources
 * wait for their schedule (or `access sync`), so a slow API never delays the start.
 */
async function syncLocalFiles(services: Services): Promise<void> {
  const results = await syncDirectorySources(directoryDeps(services), {
    trigger: 'start',
    filter: (s) => s.type === 'file' && s.path !== undefined,
  });
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0)
    throw new ConfigError(
      'directory.sources',
      failed.map((r) => `${r.source}: ${r.error ?? 'failed'}`),
    );
}

/**
 * Builds everything from the configuration: database, stores, registry, identity, pipeline; then
 * syncs the file directory sources and applies the policies, so the first command sees them.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { loaded, env, log } = options;
  const metrics = options.metrics ?? createMetrics();
  // Read before anything starts, so a bad key stops the start with its name.
  const signer = options.runWorkers ? checkpointSignerFromEnv(env) : undefined;
  const kubernetes = kubernetesFromConfig(loaded.config, {
    env,
    resolvePath: (p) => resolveConfigRelative(loaded, p),
    log,
  });
  // Serving processes check the kubeconfig at start, so a wrong context stops the start. Loading
  // the client library takes a few hundred milliseconds of CPU: done while the database, the job
  // queue and the directory answer, not after them.
  const kubernetesLoaded = options.runWorkers ? kubernetes?.load() : undefined;
  kubernetesLoaded?.catch(() => undefined);
  const database = await openMigratedDatabase(loaded, env, log);
  let jobs: Jobs | undefined;
  let auditStore: PgAuditStore | undefined;
  try {
    jobs = await startJobQueue(options, database, metrics);
    auditStore = openAuditStore(options, database);
    const services = buildServices(options, { database, jobs, auditStore, metrics, kubernetes });
    Object.assign(services, options.extend?.(services));
    const bound = bindCapabilities(services);
    registerCommands(services.registry, bound, options.extraCommands ?? []);
    if (options.syncOnStart ?? true) await syncLocalFiles(services);
    await applyPolicies(services, loaded);
    await kubernetesLoaded;
    const pipeline = new CommandPipeline(services);
    collectQueueAndSyncMetrics(metrics, jobs, services.syncRuns, auditStore);
    if (options.runWorkers) await startBackgroundWork(services, pipeline, bound);
    const checkpoints = signer ? startCheckpoints(loaded, database, signer, log, metrics) : undefined;
    const started = { jobs, auditStore };
    return {
      services,
      capabilities: bound,
      pipeline,
      database,
      close: async () => {
        // Running jobs finish (bounded) before the database goes away.
        await started.jobs.stop({ graceful: true, timeoutMs: 20_000 });
        await checkpoints?.stop();
        await started.auditStore.close();
        await database.close();
        if (!options.metrics) metrics.close();
      },
    };
  } catch (error) {
    await jobs?.stop({ graceful: false });
    await auditStore?.close();
    await database.close();
    throw error;
  }
}

/** The job queue in the app's database; only serving processes run its schedules. */
function startJobQueue(options: AppOptions, database: Database, metrics: Metrics): Promise<Jobs> {
  const { config } = options.loaded;
  return startJobs({
    url: database.url,
    log: options.log,
    pollIntervalSeconds: Math.max(0.5, config.jobs.pollInterval / 1000),
    superviseSeconds: Math.max(1, Math.round(config.jobs.superviseInterval / 1000)),
    heartbeatSeconds: config.jobs.heartbeat / 1000,
    schedule: options.runWorkers ?? false,
    ...(options.cronCheckSeconds ? { cronCheckSeconds: options.cronCheckSeconds } : {}),
    onRun: (queue, ok) => metrics.jobRun(queue, ok),
  });
}

/**
 * Outcomes of work already done are held while the database is away; serving processes spool
 * them beside the data (one-shot commands keep them in memory, and leave the file to those).
 */
function openAuditStore(options: AppOptions, database: Database): PgAuditStore {
  const { loaded, log } = options;
  return new PgAuditStore(database.db, {
    outbox: {
      ...(options.runWorkers
        ? { file: outboxFile(resolveConfigRelative(loaded, loaded.config.database.dataDir)) }
        : {}),
      log: log.child({ component: 'audit-outbox' }),
    },
  });
}

/** The bound capabilities' commands and actions, then the extra commands (tests' fixtures). */
function registerCommands(
  registry: CommandRegistry,
  bound: readonly BoundCapability[],
  extra: readonly Command[],
): void {
  for (const capability of bound) {
    registry.register(...capability.commands);
    for (const info of capability.actions) registry.registerAction(info);
  }
  registry.register(...extra);
}

/**
 * The job queues' depths, the audit rows held in the outbox and each directory source's time since
 * its last sync, read at each scrape.
 */
function collectQueueAndSyncMetrics(
  metrics: Metrics,
  jobs: Jobs,
  syncRuns: SyncRunStore,
  outbox: PgAuditStore,
): void {
  metrics.onCollect(async () => {
    metrics.gauges.auditOutboxRows.set(outbox.held);
    for (const q of await jobs.depth()) {
      metrics.gauges.jobQueueDepth.set({ queue: q.queue, state: 'ready' }, q.ready);
      metrics.gauges.jobQueueDepth.set({ queue: q.queue, state: 'deferred' }, q.deferred);
      metrics.gauges.jobQueueDepth.set({ queue: q.queue, state: 'active' }, q.active);
    }
    const now = Date.now();
    for (const s of await syncRuns.status()) {
      if (s.lastSuccess) {
        metrics.gauges.directorySyncAge.set(
          { source: s.source },
          (now - s.lastSuccess.finishedAt.getTime()) / 1000,
        );
      }
    }
  });
}

/** The pipeline's housekeeping, then each capability's workers and schedules. */
async function startBackgroundWork(
  services: Services,
  pipeline: CommandPipeline,
  bound: readonly BoundCapability[],
): Promise<void> {
  await expireConfirmations(services, pipeline);
  await pruneSlackRequests(services, pipeline);
  await sweepApprovedRequests(services, pipeline);
  for (const capability of bound) for (const start of capability.jobs) await start(pipeline);
}

/** Signs the audit chain's head on a schedule (serving processes with a checkpoint key). */
function startCheckpoints(
  loaded: LoadedConfig,
  database: Database,
  signer: CheckpointSigner,
  log: Logger,
  metrics: Metrics,
) {
  return scheduleCheckpoints({
    pool: database.pool,
    url: database.url,
    file: checkpointFile(loaded),
    signer,
    intervalMs: loaded.config.audit.checkpoints.interval,
    log: log.child({ component: 'audit' }),
    onCurrent: (at) => metrics.gauges.auditCheckpointSuccess.set(at.getTime() / 1000),
  });
}
