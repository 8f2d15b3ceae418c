import { errorMessage } from '../../bot/errors.ts';
import type { Services } from '../../bot/services.ts';
import type { ReleaseSnapshot } from '../../db/stores/releaseStore.ts';
import type { TrackedIssue, TrackerVersion } from '../../integrations/tracker/releaseTracker.ts';

/**
 * The issue-tracker steps of a release, each separate and each skipped — with the reason written
 * into the release's notes — when no tracker is configured. The keys themselves are always
 * extracted (pure code) so people can see which pull requests lack one.
 */

const keysOf = (snapshot: ReleaseSnapshot, services?: readonly string[]) => [
  ...new Set(
    snapshot.prs
      .filter((p) => !services || p.services.some((s) => services.includes(s)))
      .flatMap((p) => p.jiraKeys),
  ),
];

export const versionName = (snapshot: ReleaseSnapshot) =>
  `release-${snapshot.release.createdAt.toISOString().slice(0, 10)}-${snapshot.release.id}`;

/** After start: looks the keys up in bulk and records what was found. */
export async function trackerAfterStart(services: Services, snapshot: ReleaseSnapshot): Promise<string> {
  const keys = keysOf(snapshot);
  const tracker = services.releaseTracker;
  if (!tracker)
    return `Jira not configured: ${keys.length} key(s) found in pull requests were not looked up, and no fix version is set`;
  try {
    const found = await tracker.lookup(keys);
    const unknown = keys.filter((k) => !found.has(k));
    return `${tracker.name}: ${found.size} of ${keys.length} key(s) found${unknown.length ? `; unknown: ${unknown.slice(0, 10).join(', ')}` : ''}`;
  } catch (error) {
    return `${tracker.name} lookup failed: ${errorMessage(error)}`;
  }
}

/** At ship: creates the fix version and sets it on the included services' issues. */
export async function trackerAtShip(
  services: Services,
  snapshot: ReleaseSnapshot,
  included: readonly string[],
): Promise<{ note: string; version: TrackerVersion | undefined }> {
  const tracker = services.releaseTracker;
  const keys = keysOf(snapshot, included);
  if (!tracker) return { note: snapshot.release.trackerNote ?? 'Jira not configured', version: undefined };
  const version = await tracker.ensureVersion({
    name: versionName(snapshot),
    description: `dpbot release #${snapshot.release.id}: ${included.join(', ')}`,
  });
  await tracker.assignVersion(version, keys);
  return { note: `${tracker.name} fix version ${version.name} set on ${keys.length} issue(s)`, version };
}

/** Once every included service is healthy: marks the version released. */
export async function trackerWhenShipped(
  services: Services,
  snapshot: ReleaseSnapshot,
): Promise<string | undefined> {
  const tracker = services.releaseTracker;
  if (!tracker) return undefined;
  const version = await tracker.ensureVersion({
    name: versionName(snapshot),
    description: `dpbot release #${snapshot.release.id}`,
  });
  await tracker.markReleased(version);
  return `${tracker.name} fix version ${version.name} released`;
}

/** Jira summaries for stakeholder notes; empty when there is no tracker or it fails. */
export async function trackerSummaries(
  services: Services,
  snapshot: ReleaseSnapshot,
): Promise<Map<string, TrackedIssue>> {
  const tracker = services.releaseTracker;
  if (!tracker) return new Map();
  try {
    return await tracker.lookup(keysOf(snapshot));
  } catch (error) {
    services.log.warn(
      { err: error },
      'issue summaries unavailable; stakeholder notes use pull request titles',
    );
    return new Map();
  }
}
