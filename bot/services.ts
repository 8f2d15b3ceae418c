import type pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/connect.ts';
import type { AccessStore } from '../db/stores/accessStore.ts';
import type { AuditStore } from '../db/stores/auditStore.ts';
import type { DirectoryStore } from '../db/stores/directoryStore.ts';
import type { PendingStore } from '../db/stores/pendingStore.ts';
import type { ReleaseStore } from '../db/stores/releaseStore.ts';
import type { ArgoCdClient } from '../integrations/argocd/argoCdClient.ts';
import type { GitHubClient } from '../integrations/github/githubClient.ts';
import type { ReleaseTracker } from '../integrations/tracker/releaseTracker.ts';
import type { Config } from './config/schema.ts';
import type { DirectoryIdentity } from './identity.ts';
import type { Jobs } from './jobs.ts';
import type { Notifier } from './notifier.ts';
import type { CommandRegistry } from './pipeline/registry.ts';

/**
 * Everything a handler may use, built once at start from the configuration (bot/app.ts) and passed
 * in; nothing here is a module-level singleton.
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
  identity: DirectoryIdentity;
  registry: CommandRegistry;
  jobs: Jobs;
  /** Posts and updates messages outside a request (background work): Slack, or the console. */
  notifier: Notifier;
  log: Logger;
  now: () => Date;
  /** Releases, their services, pull requests, confirmations, deployments and rollbacks. */
  releases: ReleaseStore;
  github: GitHubClient;
  /** Undefined when `argocd.url` is not set: shipping and rollbacks then say so. */
  argocd?: ArgoCdClient | undefined;
  /** The issue tracker (Jira); undefined when not configured: its release steps are skipped. */
  releaseTracker?: ReleaseTracker | undefined;
}
