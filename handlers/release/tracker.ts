import { errorMessage } from '../../core/errors.ts';
import type { TrackedIssue, TrackerVersion } from '../../integrations/jira/releaseTracker.ts';
import type { Message } from '../../pipeline/message.ts';
import type { ReleaseDeps } from './deps.ts';
import { loadSnapshot, postInThread, publish } from './publish.ts';
import type { ReleaseSnapshot } from './stores/releaseStore.ts';
import { shipReportMessage } from './views/notices.ts';

/**
 * The issue-tracker steps of a release, each separate and each skipped — with the reason written
 * into the release's notes — when no tracker is configured. The keys themselves are always
 * extracted (pure code) so people can see which pull requests lack one. Jira being slow, refusing
 * or down never stops a release: what happened is written into the notes, the release thread and
 * the audit log.
 */

const keysOf = (snapshot: ReleaseSnapshot, services?: readonly string[]) => [
  ...new Set(
    snapshot.prs
      .filter((p) => !services || p.services.some((s) => services.includes(s)))
      .flatMap((p) => p.jiraKeys),
  ),
];

const included = (snapshot: ReleaseSnapshot) =>
  snapshot.confirmations.filter((c) => c.decision === 'include').map((c) => c.service);

/** The fix version's name: `release.jira.versionName` with {date} (the start day) and {id}. */
export const versionName = (snapshot: ReleaseSnapshot, services: ReleaseDeps) =>
  services.config.release.jira.versionName
    .replaceAll('{date}', snapshot.release.createdAt.toISOString().slice(0, 10))
    .replaceAll('{id}', String(snapshot.release.id));

/** A list short enough for a note: the first few, then how many more. */
function keyList(keys: readonly string[], max = 12): string {
  return keys.length > max
    ? `${keys.slice(0, max).join(', ')} and ${keys.length - max} more`
    : keys.join(', ');
}

function notConfigured(services: ReleaseDeps, keys: number): string {
  return services.jira && !services.config.release.jira.project
    ? `Jira: release.jira.project is not set, so ${keys} key(s) found in pull requests were not looked up and no fix version is set`
    : `Jira not configured: ${keys} key(s) found in pull requests were not looked up, and no fix version is set`;
}

async function audit(
  services: ReleaseDeps,
  releaseId: number,
  step: 'start' | 'ship',
  outcome: string,
  detail: object,
  error?: string,
): Promise<void> {
  await services.audit.append({
    requestId: `release-${releaseId}`,
    kind: 'event',
    entry: 'system',
    command: `release ${step}`,
    action: `release.${step}`,
    resource: `release:${releaseId}`,
    outcome,
    ...(error ? { error } : {}),
    detail,
  });
}

/**
 * Issues the tracker counts in the release (already in its fix version, or in the configured
 * scope) that no pull request of the release names.
 */
async function keysWithoutPr(services: ReleaseDeps, snapshot: ReleaseSnapshot): Promise<string[]> {
  const tracker = services.releaseTracker;
  if (!tracker) return [];
  const named = new Set(keysOf(snapshot));
  const scope = await tracker.scope(versionName(snapshot, services));
  return scope.map((i) => i.key).filter((k) => !named.has(k));
}

/**
 * After start (and refresh): looks the keys up in bulk and lists the keys without a pull request.
 * Returns the note for the release message.
 */
export async function trackerAfterStart(services: ReleaseDeps, snapshot: ReleaseSnapshot): Promise<string> {
  const keys = keysOf(snapshot);
  const tracker = services.releaseTracker;
  if (!tracker) return notConfigured(services, keys.length);
  try {
    const found = await tracker.lookup(keys);
    const unknown = keys.filter((k) => !found.has(k));
    const orphans = await keysWithoutPr(services, snapshot);
    return [
      `${tracker.name}: ${found.size} of ${keys.length} key(s) found`,
      unknown.length ? `unknown: ${keyList(unknown)}` : '',
      orphans.length ? `keys without a PR: ${keyList(orphans)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  } catch (error) {
    await audit(
      services,
      snapshot.release.id,
      'start',
      'tracker_lookup_failed',
      { keys: keys.length },
      errorMessage(error),
    );
    return `${tracker.name} lookup failed: ${errorMessage(error)}`;
  }
}

/** The note while the ship job sets the fix version (run by `release ship`). */
export function trackerShipping(services: ReleaseDeps, snapshot: ReleaseSnapshot): string | undefined {
  const tracker = services.releaseTracker;
  if (!tracker) return undefined;
  return `${tracker.name}: setting fix version ${versionName(snapshot, services)} on the issues of ${included(snapshot).join(', ')}…`;
}

/**
 * The ship job: creates (or reuses) the fix version and sets it on the issues of the included
 * services, then reports in the release thread and the audit log. Runs in the background so a
 * slow or rate-limiting Jira never holds up the deployment.
 */
export async function trackerAtShip(services: ReleaseDeps, releaseId: number): Promise<void> {
  const tracker = services.releaseTracker;
  if (!tracker) return;
  const snapshot = await loadSnapshot(services, releaseId);
  const shipping = included(snapshot);
  const keys = keysOf(snapshot, shipping);
  const name = versionName(snapshot, services);
  let note: string;
  let report: Message;
  try {
    const version = await tracker.ensureVersion({
      name,
      description: `dpbot release #${releaseId}: ${shipping.join(', ')}`,
    });
    const found = await tracker.lookup(keys);
    const unknown = keys.filter((k) => !found.has(k));
    const already = keys.filter((k) => found.get(k)?.fixVersions?.includes(version.name));
    const result = await tracker.assignVersion(
      version,
      keys.filter((k) => found.has(k) && !already.includes(k)),
    );
    const { orphans, notShipping } = await scopeAfterShip(services, snapshot, version, shipping);
    const outcome =
      result.failed.length === 0
        ? 'fix_version_set'
        : result.assigned.length > 0
          ? 'fix_version_incomplete'
          : 'fix_version_failed';
    await audit(
      services,
      releaseId,
      'ship',
      outcome,
      {
        version: version.name,
        versionId: version.id,
        assigned: result.assigned,
        already,
        unknown,
        skipped: result.skipped,
        failed: result.failed,
        keysWithoutPr: orphans,
      },
      result.failed.length
        ? `${result.failed.length} issue(s) failed: ${result.failed
            .slice(0, 3)
            .map((f) => `${f.key}: ${f.error}`)
            .join('; ')}`
        : undefined,
    );
    const set = result.assigned.length + already.length;
    note = [
      `${tracker.name} fix version ${version.name}: on ${set} of ${keys.length} issue(s)`,
      result.failed.length ? `failed: ${keyList(result.failed.map((f) => f.key))}` : '',
      result.skipped.length ? `not set: ${keyList(result.skipped.map((s) => s.key))}` : '',
      unknown.length ? `unknown: ${keyList(unknown)}` : '',
      orphans.length ? `keys without a PR: ${keyList(orphans)}` : '',
      notShipping.length ? `in the version but not shipping: ${keyList(notShipping)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    report = shipReportMessage(note, [
      ...result.failed.map((f) => `• ${f.key}: ${f.error}`),
      ...result.skipped.map((s) => `• ${s.key}: ${s.reason}`),
    ]);
  } catch (error) {
    await audit(
      services,
      releaseId,
      'ship',
      'fix_version_failed',
      { version: name, keys },
      errorMessage(error),
    );
    note = `${tracker.name}: fix version ${name} could not be set: ${errorMessage(error)}`;
    report = shipReportMessage(note, []);
  }
  // The watcher may have finished the release meanwhile and added to the note: keep what it added.
  const placeholder = trackerShipping(services, snapshot) ?? '';
  const current = (await loadSnapshot(services, releaseId)).release.trackerNote ?? '';
  await services.releases.update(releaseId, {
    trackerNote: placeholder && current.includes(placeholder) ? current.replace(placeholder, note) : note,
  });
  const fresh = await publish(services, releaseId);
  await postInThread(services, fresh, null, report);
}

/** Keys without a pull request, and keys in the version whose pull requests are all in skipped services. */
async function scopeAfterShip(
  services: ReleaseDeps,
  snapshot: ReleaseSnapshot,
  version: TrackerVersion,
  shipping: readonly string[],
): Promise<{ orphans: string[]; notShipping: string[] }> {
  const tracker = services.releaseTracker;
  if (!tracker) return { orphans: [], notShipping: [] };
  try {
    const scope = (await tracker.scope(version.name)).map((i) => i.key);
    const all = new Set(keysOf(snapshot));
    const shipped = new Set(keysOf(snapshot, shipping));
    return {
      orphans: scope.filter((k) => !all.has(k)),
      notShipping: scope.filter((k) => all.has(k) && !shipped.has(k)),
    };
  } catch (error) {
    services.log.warn({ err: error }, 'could not list the issues in the fix version');
    return { orphans: [], notShipping: [] };
  }
}

/** Once every included service is healthy: marks the version released (if it was created). */
export async function trackerWhenShipped(
  services: ReleaseDeps,
  snapshot: ReleaseSnapshot,
): Promise<string | undefined> {
  const tracker = services.releaseTracker;
  if (!tracker) return undefined;
  const name = versionName(snapshot, services);
  const releaseDate = services.now().toISOString().slice(0, 10);
  try {
    const version = await tracker.findVersion(name);
    if (!version) {
      await audit(
        services,
        snapshot.release.id,
        'ship',
        'fix_version_release_failed',
        { version: name },
        'the fix version does not exist',
      );
      return `${tracker.name} fix version ${name} does not exist (it could not be created when shipping), so nothing was marked released`;
    }
    const released = await tracker.markReleased(version, releaseDate);
    await audit(services, snapshot.release.id, 'ship', 'fix_version_released', {
      version: released.name,
      versionId: released.id,
      releaseDate,
    });
    return `${tracker.name} fix version ${released.name} released`;
  } catch (error) {
    await audit(
      services,
      snapshot.release.id,
      'ship',
      'fix_version_release_failed',
      { version: name },
      errorMessage(error),
    );
    return `${tracker.name} fix version ${name} could not be marked released: ${errorMessage(error)}`;
  }
}

/** Jira summaries for stakeholder notes; empty when there is no tracker or it fails. */
export async function trackerSummaries(
  services: ReleaseDeps,
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
