import type pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../core/metrics.ts';
import type { Db } from '../db/connect.ts';
import type { AccessStore } from '../db/stores/accessStore.ts';
import type { OnceStore } from '../db/stores/actionKeyStore.ts';
import type { AuditStore } from '../db/stores/auditStore.ts';
import type { PendingStore } from '../db/stores/pendingStore.ts';
import type { DatasetService, LateAlertStore } from '../handlers/datasets/index.ts';
import type {
  DirectorySource,
  DirectoryStore,
  HoldStore,
  SyncRunStore,
} from '../handlers/directory/index.ts';
import type { FreezeStore } from '../handlers/freeze/index.ts';
import type { NoticeStore, ReleaseStore } from '../handlers/release/index.ts';
import type { ScaleStore } from '../handlers/scaling/index.ts';
import type { TaskRunStore } from '../handlers/tasks/index.ts';
import type { ArgoClient } from '../integrations/argo/argoClient.ts';
import type { ArgoCdClient } from '../integrations/argocd/argoCdClient.ts';
import type { GitHubClient } from '../integrations/github/githubClient.ts';
import type { JiraClient } from '../integrations/jira/jiraClient.ts';
import type { ReleaseTracker } from '../integrations/jira/releaseTracker.ts';
import type { KubernetesClusters } from '../integrations/kubernetes/kubernetes.ts';
import type { AcksFirst } from '../pipeline/acksFirst.ts';
import type { CallerIdentity, SlackProfileLookup } from '../pipeline/identity.ts';
import type { Jobs } from '../pipeline/jobs.ts';
import type { Notifier } from '../pipeline/notifier.ts';
import type { CommandRegistry } from '../pipeline/registry.ts';
import type { Config } from './config/schema.ts';

/**
 * Everything a handler may use, built once at start from the configuration (app/buildServices.ts)
 * and passed in; nothing here is a module-level singleton.
 */
export interface Services {
  config: Config;
  /** The configuration file's folder; relative paths in the configuration are resolved against it. */
  configDir: string;
  db: Db;
  pool: pg.Pool;
  access: AccessStore;
  audit: AuditStore;
  directory: DirectoryStore;
  pending: PendingStore;
  once: OnceStore;
  /** The configured directory sources, by name, built once at start. */
  directorySources: ReadonlyMap<string, DirectorySource>;
  /** The log of directory sync runs (for `access status`). */
  syncRuns: SyncRunStore;
  /** Access changes held for an admin's approval. */
  holds: HoldStore;
  taskRuns: TaskRunStore;
  identity: CallerIdentity;
  /** The cache of Slack profiles, when dpbot serves Slack (`access sync slack` clears it). */
  slackProfiles?: SlackProfileLookup;
  registry: CommandRegistry;
  jobs: Jobs;
  /** Posts and updates messages outside a request (background work): Slack, or the console. */
  notifier: Notifier;
  metrics: Metrics;
  log: Logger;
  now: () => Date;
  /** Acknowledgements before the work behind them: the HTTP server and the pipeline share it. */
  acksFirst: AcksFirst;
  /** The dataset catalog and its producers' runs; absent when `datasets` configures neither. */
  datasets?: DatasetService | undefined;
  /** The late-dataset alerts posted, one per lateness. */
  lateAlertStore: LateAlertStore;
  /** Argo Workflows (ops tasks); absent when `argo.url` is not set. */
  argo?: ArgoClient | undefined;
  /** Jira (task tickets and comments); absent when `jira.url` is not set. */
  jira?: JiraClient | undefined;
  /** The clusters of the teams' worker targets; absent when no team is configured. */
  kubernetes?: KubernetesClusters | undefined;
  /** Pending reverts of temporary worker counts, the team locks, the last changes. */
  scaling: ScaleStore;
  /** Releases, their services, pull requests, confirmations, deployments and rollbacks. */
  releases: ReleaseStore;
  /** Ad hoc deploy freezes (`/dp freeze`); the configured windows are in `config.freezes`. */
  freezes: FreezeStore;
  /** The release's production notices, subscriptions and notice preferences. */
  releaseNotices: NoticeStore;
  github: GitHubClient;
  /** Undefined when `argocd.url` is not set: shipping and rollbacks then say so. */
  argocd?: ArgoCdClient | undefined;
  /** The issue tracker (Jira); undefined when not configured: its release steps are skipped. */
  releaseTracker?: ReleaseTracker | undefined;
}
