import type { Logger } from 'pino';
import type { Env } from '../core/config/secrets.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Database } from '../db/connect.ts';
import { PgAccessStore } from '../db/stores/accessStore.ts';
import { PgOnceStore } from '../db/stores/actionKeyStore.ts';
import type { AuditStore } from '../db/stores/auditStore.ts';
import { PgPendingStore } from '../db/stores/pendingStore.ts';
import { PgLateAlertStore } from '../handlers/datasets/index.ts';
import {
  createDirectorySources,
  PgDirectoryStore,
  PgHoldStore,
  PgSyncRunStore,
} from '../handlers/directory/index.ts';
import { PgFreezeStore } from '../handlers/freeze/index.ts';
import { PgNoticeStore, PgReleaseStore } from '../handlers/release/index.ts';
import { PgScaleStore } from '../handlers/scaling/index.ts';
import { PgTaskRunStore } from '../handlers/tasks/index.ts';
import { argoClientFromConfig } from '../integrations/argo/argoClient.ts';
import { argoCdFromConfig } from '../integrations/argocd/argoCdClient.ts';
import { githubFromConfig } from '../integrations/github/githubClient.ts';
import { jiraClientFromConfig } from '../integrations/jira/jiraClient.ts';
import { jiraReleaseTrackerFromConfig } from '../integrations/jira/jiraReleaseTracker.ts';
import { AcksFirst, MAX_WAIT_BEHIND_ACKS_MS } from '../pipeline/acksFirst.ts';
import { DirectoryIdentity, type SlackProfileLookup } from '../pipeline/identity.ts';
import type { Jobs } from '../pipeline/jobs.ts';
import { LogNotifier, type Notifier } from '../pipeline/notifier.ts';
import { CommandRegistry } from '../pipeline/registry.ts';
import type { LoadedConfig } from './config/loadConfig.ts';
import type { Services } from './services.ts';
import { datasetServiceFromConfig } from './wiring/datasets.ts';

/** What buildServices reads of createApp's options. */
interface ServicesOptions {
  loaded: LoadedConfig;
  env: Env;
  log: Logger;
  /** Slack users.info lookups, when dpbot serves Slack. */
  slackProfiles?: SlackProfileLookup;
  /** Where background work posts messages; default: the log. */
  notifier?: Notifier;
  now?: () => Date;
}

/** The stores and clients createApp opened or built before the services. */
interface Opened {
  database: Database;
  jobs: Jobs;
  auditStore: AuditStore;
  metrics: Metrics;
  kubernetes: Services['kubernetes'];
}

/** Every store, client and shared service, built once from the configuration. */
export function buildServices(options: ServicesOptions, opened: Opened): Services {
  const { loaded, env, log } = options;
  const { config } = loaded;
  const { database, metrics } = opened;
  const access = new PgAccessStore(database.db);
  const now = options.now ?? (() => new Date());
  const jira = jiraClientFromConfig(config.jira, { env, log });
  return {
    config,
    configDir: loaded.baseDir,
    db: database.db,
    pool: database.pool,
    access,
    audit: meteredAudit(opened.auditStore, metrics),
    directory: new PgDirectoryStore(database.db),
    pending: new PgPendingStore(database.db),
    once: new PgOnceStore(database.db),
    directorySources: createDirectorySources(config.directory.sources, {
      configDir: loaded.baseDir,
      slackApiUrl: config.slack.apiUrl,
      env,
      log: log.child({ component: 'directory' }),
    }),
    syncRuns: new PgSyncRunStore(database.db),
    holds: new PgHoldStore(database.db),
    taskRuns: new PgTaskRunStore(database.db),
    identity: new DirectoryIdentity(access, config.access.adminContact, options.slackProfiles),
    ...(options.slackProfiles ? { slackProfiles: options.slackProfiles } : {}),
    registry: new CommandRegistry(),
    jobs: opened.jobs,
    notifier: options.notifier ?? new LogNotifier(log),
    metrics,
    log,
    now,
    acksFirst: new AcksFirst(MAX_WAIT_BEHIND_ACKS_MS),
    datasets: datasetServiceFromConfig(config.datasets, { env, log, now }),
    lateAlertStore: new PgLateAlertStore(database.db),
    argo: argoClientFromConfig(config.argo, { env, log }),
    jira,
    kubernetes: opened.kubernetes,
    // Each team change holds a transaction and needs another connection for its audit rows.
    scaling: new PgScaleStore(database.db, {
      transactions: Math.max(1, Math.floor(config.database.poolSize / 2)),
    }),
    releases: new PgReleaseStore(database.db),
    freezes: new PgFreezeStore(database.db),
    releaseNotices: new PgNoticeStore(database.db),
    github: githubFromConfig(config.github, { env, log }),
    argocd: argoCdFromConfig(config.argocd, { env, log }),
    releaseTracker: jiraReleaseTrackerFromConfig(config.release.jira, { jira, log }),
  };
}

/** Counts every audit write and failure without the store knowing about metrics. */
function meteredAudit(store: AuditStore, metrics: Metrics): AuditStore {
  return {
    append: async (entry) => {
      try {
        const row = await store.append(entry);
        metrics.auditWrite(entry.kind, true);
        return row;
      } catch (error) {
        metrics.auditWrite(entry.kind, false);
        throw error;
      }
    },
    appendOrHold: async (entry) => {
      const recorded = await store.appendOrHold(entry);
      metrics.auditWrite(entry.kind, 'written' in recorded);
      return recorded;
    },
    search: (filter) => store.search(filter),
    count: (filter) => store.count(filter),
    verify: (options) => store.verify(options),
    export: (since, onPage, pageSize) => store.export(since, onPage, pageSize),
  };
}
