import { defineCapability } from '../../pipeline/capability.ts';
import { accessApprove, accessDeny } from './commands/holds.ts';
import { accessStatus } from './commands/status.ts';
import { accessSync } from './commands/sync.ts';
import { whoami } from './commands/whoami.ts';
import { whoCan } from './commands/whoCan.ts';
import type { DirectoryDeps } from './deps.ts';
import { directorySyncJobs } from './syncRunner.ts';

export { describeGrant } from './views.ts';

/** Who is who and who may do what: the directory sync, `whoami`, `who-can`, `access status|sync`. */
export const directoryCapability = defineCapability<DirectoryDeps>({
  name: 'directory',
  commands: [whoami, whoCan, accessStatus, accessSync, accessApprove, accessDeny],
  jobs: [directorySyncJobs],
});

// What the composition root (app/) needs beside the capability: the face is all it may import.
export type { DirectoryDeps } from './deps.ts';
export { type PolicyReloadResult, planPolicyChange, reloadPolicies } from './policyReload.ts';
export type { DirectorySnapshot } from './snapshot.ts';
export type { DirectorySource } from './sources/source.ts';
export { createDirectorySources } from './sources/sources.ts';
// The composition root builds the stores (it owns the database); it gets the classes here, not from the files.
export { type DirectoryStore, PgDirectoryStore } from './stores/directoryStore.ts';
export { type HoldStore, PgHoldStore } from './stores/holdStore.ts';
export { PgSyncRunStore, type SyncRunStore } from './stores/syncRunStore.ts';
export { syncDirectorySources, syncResultLines } from './syncRunner.ts';
