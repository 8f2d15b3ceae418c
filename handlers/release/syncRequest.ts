/**
 * How the ship watcher asks Argo CD to sync an application to the release commit, decided from
 * what Argo CD and GitHub said; the executor (shipTick.ts) does the asking.
 *
 * Argo CD refuses a sync to a revision other than the application's targetRevision while
 * auto-sync is on ("Cannot sync to <revision>: auto-sync currently set to <targetRevision>",
 * Argo CD server/application/application.go, Sync). For such an application dpbot syncs without a
 * revision — Argo CD then syncs its targetRevision's head — but only once GitHub says that head is
 * the release commit: a head past it would ship pull requests nobody confirmed for this release.
 */

export interface SyncFacts {
  /** Whether Argo CD syncs the application by itself (see autoSyncEnabled). */
  autoSync: boolean;
  /** The ref the application follows (`HEAD` when empty). */
  targetRevision: string;
  /** The commit GitHub resolves targetRevision to; undefined while not asked yet. */
  targetHead?: string | undefined;
}

export type SyncRequest =
  /** Sync to the release commit, the ordinary case. */
  | { kind: 'revision'; revision: string }
  /** Ask GitHub what targetRevision points at, then decide again. */
  | { kind: 'resolveTarget'; ref: string }
  /** Sync without a revision: targetRevision's head is the release commit. */
  | { kind: 'target'; ref: string; head: string }
  /** Do not sync: targetRevision's head is not the release commit. */
  | { kind: 'refuse'; reason: string };

export function syncRequest(
  release: { application: string; revision: string; releaseId: number },
  facts: SyncFacts,
): SyncRequest {
  const { revision } = release;
  if (!facts.autoSync || revision === facts.targetRevision) return { kind: 'revision', revision };
  const ref = facts.targetRevision;
  if (facts.targetHead === undefined) return { kind: 'resolveTarget', ref };
  if (facts.targetHead === revision) return { kind: 'target', ref, head: facts.targetHead };
  return {
    kind: 'refuse',
    reason:
      `auto-sync is on for ${release.application} and follows ${ref}, so Argo CD syncs it only to ${ref}, ` +
      `which GitHub says is at ${facts.targetHead.slice(0, 7)}, not the release's ${revision.slice(0, 7)}. ` +
      `Turn auto-sync off for it (dpbot then syncs the release commit) and "release ship --release ${release.releaseId}", or cancel this release and start one that takes in what was merged`,
  };
}
