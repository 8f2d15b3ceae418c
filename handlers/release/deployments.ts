import { formatTime } from '../../core/time.ts';
import type { Application } from '../../integrations/argocd/argoCdClient.ts';
import { deploymentHistory } from '../../integrations/argocd/assess.ts';
import type { ReleaseDeps } from './deps.ts';
import { nameOf } from './people.ts';
import type { ReleaseApp, Rollback } from './stores/releaseStore.ts';

/** Argo CD stamps its history with its own clock; allow it a few seconds behind ours. */
const CLOCK_SKEW_MS = 5_000;

/** One entry of an application's Argo CD history, with what dpbot knows of how it got there. */
export interface Deployment {
  historyId: number;
  revision: string;
  at: Date | undefined;
  /** Argo CD's `initiatedBy.username` (or "auto-sync"), when it records one. */
  initiatedBy: string | undefined;
  /** The release whose ship deployed this entry. */
  releaseId?: number;
  /** dpbot's rollback that deployed this entry (to an older entry's revision). */
  rollback?: Rollback;
  /** dpbot's rollback that replaced this entry: it was rolled back. */
  undoneBy?: Rollback;
}

/**
 * One application's deployments, oldest first, as Argo CD's history has them (what ran, and in
 * which order: a rollback adds an entry with the old revision, as a sync does), joined to dpbot's
 * records in PostgreSQL (which release shipped an entry, which rollback made or undid one). Read
 * afresh each time, so a restart of dpbot or a deployment made outside it changes nothing.
 */
export interface AppHistory {
  application: string;
  entries: Deployment[];
  /** The newest entry: what runs now. */
  running: Deployment | undefined;
  /** Release rows of this application, oldest first. */
  releases: ReleaseApp[];
  /** E-mail → name in the directory, for the people named. */
  names: Map<string, string>;
}

const time = (text: string | undefined) => (text ? new Date(text) : undefined);

/** The history of `application`, given its Argo CD state (read once by the caller). */
export async function appHistory(
  services: Pick<ReleaseDeps, 'releases' | 'access'>,
  application: string,
  app: Application,
): Promise<AppHistory> {
  const entries: (Deployment & { started: Date | undefined })[] = deploymentHistory(app).map((h) => ({
    historyId: h.id,
    revision: h.revision,
    at: time(h.deployedAt),
    initiatedBy: h.initiatedBy?.automated ? 'auto-sync' : h.initiatedBy?.username,
    started: time(h.deployStartedAt ?? h.deployedAt),
  }));
  const after = (d: { started: Date | undefined }, since: Date | null | undefined) =>
    !since || !d.started || d.started.getTime() >= since.getTime() - CLOCK_SKEW_MS;
  // Rollbacks first: the entry a rollback made may repeat a release's revision (a redeploy).
  const rollbacks = (await services.releases.doneRollbacks([application])).reverse();
  for (const r of rollbacks) {
    const made = entries.find(
      (d) =>
        !d.rollback &&
        d.releaseId === undefined &&
        d.historyId > r.historyId &&
        d.revision === r.revision &&
        after(d, r.createdAt),
    );
    if (!made) continue;
    made.rollback = r;
    const undone = entries.filter((d) => d.historyId < made.historyId).at(-1);
    // Rolled back means replaced by something older; a rollback to a newer build (one rolled
    // back before) deploys that build again rather than rolling this one back.
    const firstOfUndone = entries.find((d) => d.revision === undone?.revision);
    if (undone && firstOfUndone && r.historyId < firstOfUndone.historyId) undone.undoneBy = r;
  }
  const deployed = await services.releases.deploymentsOf(application);
  for (const { release, app: row } of deployed) {
    // Not the row's startedAt: a rollback of the release restamps it.
    const made = entries.find(
      (d) =>
        !d.rollback &&
        d.releaseId === undefined &&
        d.revision === row.revision &&
        after(d, release.createdAt),
    );
    if (made) made.releaseId = row.releaseId;
  }
  const rows = deployed.map((d) => d.app);
  const emails = new Set(rollbacks.map((r) => r.requestedBy));
  const names = new Map<string, string>();
  for (const email of emails) names.set(email, await nameOf(services, email));
  const kept: Deployment[] = entries.map(({ started: _started, ...d }) => d);
  return {
    application,
    entries: kept,
    running: kept.at(-1),
    releases: rows,
    names,
  };
}

export const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : '?');

const when = (at: Date | undefined) => (at ? ` at ${formatTime(at)}` : '');

/** The release that shipped `revision` of this application, if one did. */
export function shippedBy(history: AppHistory, revision: string): number | undefined {
  return (
    history.entries.find((d) => d.revision === revision && d.releaseId !== undefined)?.releaseId ??
    history.releases.find((r) => r.revision === revision && r.status !== 'syncing' && r.status !== 'failed')
      ?.releaseId
  );
}

/** The latest dpbot rollback that took `revision` away, when it is not what runs now. */
export function rolledBack(history: AppHistory, revision: string): Rollback | undefined {
  if (history.running?.revision === revision) return undefined;
  return history.entries.filter((d) => d.revision === revision && d.undoneBy).at(-1)?.undoneBy;
}

/**
 * What happened to `revision` of this application, in order: "shipped by release #1 at …; rolled
 * back by Ada Lovelace at …; deployed again by Grace Hopper's rollback at …". Entries neither a
 * release nor a rollback of dpbot made are named with who Argo CD says deployed them.
 */
export function revisionStory(history: AppHistory, revision: string): string {
  const who = (email: string) => history.names.get(email) ?? email;
  const events: string[] = [];
  let seen = false;
  for (const d of history.entries) {
    if (d.revision !== revision) continue;
    const again = seen ? ' again' : '';
    if (d.releaseId !== undefined) events.push(`shipped${again} by release #${d.releaseId}${when(d.at)}`);
    else if (d.rollback)
      events.push(`deployed${again} by ${who(d.rollback.requestedBy)}'s rollback${when(d.at)}`);
    else
      events.push(
        `deployed${again}${d.initiatedBy ? ` by ${d.initiatedBy}` : ''} in Argo CD (history ${d.historyId})${when(d.at)}`,
      );
    if (d.undoneBy) events.push(`rolled back by ${who(d.undoneBy.requestedBy)}${when(d.undoneBy.createdAt)}`);
    seen = true;
  }
  if (!seen) {
    const release = shippedBy(history, revision);
    if (release !== undefined) events.push(`shipped by release #${release}`);
  }
  // The oldest events matter least; Argo CD keeps ten entries anyway.
  const kept = events.length > 4 ? ['…', ...events.slice(-4)] : events;
  return kept.join('; ');
}

/** `dbd6600 (shipped by release #1 at …; rolled back by …)`, or the bare revision when nothing is known. */
export function describeRevision(history: AppHistory, revision: string | null | undefined): string {
  if (!revision) return '?';
  const story = revisionStory(history, revision);
  return story ? `${short(revision)} (${story})` : short(revision);
}

/** The warning a confirmation carries before deploying a revision that was rolled back. */
export function redeployWarning(history: AppHistory, revision: string | null | undefined): string[] {
  // What runs already is not deployed again.
  if (!revision || history.running?.revision === revision) return [];
  const undone = rolledBack(history, revision);
  const release = shippedBy(history, revision);
  const byRelease = history.releases.find((r) => r.revision === revision && r.status === 'rolled_back');
  if (!undone && !byRelease) return [];
  const who = undone
    ? ` by ${history.names.get(undone.requestedBy) ?? undone.requestedBy}${when(undone.createdAt)}`
    : '';
  return [
    `⚠️ ${short(revision)}${release !== undefined ? ` (release #${release})` : ''} was rolled back${who}: this deploys it again. Make sure what made it roll back is fixed.`,
  ];
}
