import type { Logger } from 'pino';
import type { AccessStore, PolicyGrant } from '../../db/stores/accessStore.ts';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { SlackProfileLookup } from '../../pipeline/identity.ts';
import type { Jobs } from '../../pipeline/jobs.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import type { CommandRegistry } from '../../pipeline/registry.ts';
import type { DirectorySourceConfig, RemovalGuardConfig } from './config.ts';
import type { DirectorySource } from './sources/source.ts';
import type { DirectoryStore } from './stores/directoryStore.ts';
import type { HoldStore } from './stores/holdStore.ts';
import type { SyncRunStore } from './stores/syncRunStore.ts';

/**
 * The parts of the configuration the directory capability reads, in the configuration's own
 * shape (so that the whole configuration, as app/ holds it, is one).
 */
export interface DirectoryConfig {
  directory: { sources: readonly DirectorySourceConfig[] };
  /** Named in replies to someone who has no access yet. */
  access: { adminContact: string; removalGuard: RemovalGuardConfig };
  /** Where sync refusals and failures are posted; unset: only logged. */
  slack: { channels: { admin?: string | undefined } };
}

/**
 * What the directory capability needs; app/wiring/directory.ts builds it. The names are those of
 * the bot's services, so the sync runner can also be called with them (the CLI does).
 */
export interface DirectoryDeps {
  config: DirectoryConfig;
  /** The configured directory sources, by name, built once at start. */
  directorySources: ReadonlyMap<string, DirectorySource>;
  /** Users, groups and memberships as last synced. */
  directory: DirectoryStore;
  /** Access changes held for an admin's approval (mass removals). */
  holds: HoldStore;
  /** The policy files, to reload them on an approval; absent where dpbot has none (tests of the slice). */
  policies?: PolicyReload;
  /** The log of sync runs (`access status`, and telling a new problem from a repeated one). */
  syncRuns: SyncRunStore;
  /** Grants: `who-can`, and the guard against emptying a group that holds one. */
  access: Pick<AccessStore, 'allGrants' | 'groupMembers'>;
  audit: Pick<AuditStore, 'append'>;
  /** The action catalog, so `who-can` can tell an unknown action from an ungranted one. */
  registry: Pick<CommandRegistry, 'catalog'>;
  /** The scheduled syncs. */
  jobs: Jobs;
  notifier: Notifier;
  log: Logger;
  now: () => Date;
  /** Slack id → profile cache, when dpbot serves Slack: `access sync slack` clears it. */
  slackProfiles?: Pick<SlackProfileLookup, 'clear'>;
}

/** Reads the policy files as they are on disk now, and replaces the running grants with them. */
export interface PolicyReload {
  load(): Promise<readonly PolicyGrant[]>;
  replace(grants: readonly PolicyGrant[]): Promise<{ changed: boolean; count: number }>;
}

/** Commands of this capability, written against DirectoryDeps. */
export const defineCommand = commandsWith<DirectoryDeps>();
