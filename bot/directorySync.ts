import { randomUUID } from 'node:crypto';
import { type DirectoryDiff, diffIsEmpty } from '../db/stores/directoryStore.ts';
import { readFileDirectory } from '../policies/directory/fileSource.ts';
import { resolveConfigRelative } from './config/loadConfig.ts';
import type { DirectorySourceConfig } from './config/schema.ts';
import type { Services } from './services.ts';

export interface SyncRun {
  source: string;
  diff: DirectoryDiff;
  applied: boolean;
}

async function fetchSnapshot(services: Services, source: DirectorySourceConfig) {
  switch (source.type) {
    case 'file':
      return readFileDirectory(resolveConfigRelative({ baseDir: services.configDir }, source.path));
  }
}

/** Fetches each configured source in full and applies its difference (one transaction per source). */
export async function syncDirectorySources(
  services: Services,
  options: { only?: DirectorySourceConfig['type']; source?: string; dryRun?: boolean } = {},
): Promise<SyncRun[]> {
  const runs: SyncRun[] = [];
  for (const source of services.config.directory.sources) {
    if (options.only && source.type !== options.only) continue;
    if (options.source && source.name !== options.source) continue;
    const snapshot = await fetchSnapshot(services, source);
    const diff = await services.directory.sync(source.name, snapshot, { dryRun: options.dryRun ?? false });
    const applied = !options.dryRun && !diffIsEmpty(diff);
    if (applied) {
      await services.audit.append({
        requestId: randomUUID(),
        kind: 'event',
        entry: 'system',
        command: 'directory.sync',
        action: 'access.sync',
        resource: `source:${source.name}`,
        outcome: 'ok',
        detail: summarizeDiff(diff),
      });
    }
    services.log.info({ source: source.name, ...summarizeDiff(diff), applied }, 'directory source synced');
    runs.push({ source: source.name, diff, applied });
  }
  return runs;
}

export function summarizeDiff(d: DirectoryDiff): Record<string, number> {
  return {
    usersAdded: d.usersAdded.length,
    usersChanged: d.usersChanged.length,
    usersRemoved: d.usersRemoved.length,
    groupsAdded: d.groupsAdded.length,
    groupsChanged: d.groupsChanged.length,
    groupsRemoved: d.groupsRemoved.length,
    membershipsAdded: d.membershipsAdded.length,
    membershipsRemoved: d.membershipsRemoved.length,
  };
}
