import type { Application } from './argoCdClient.ts';

export type Assessment =
  /** The operation has not finished, or Argo CD has not compared the app since it did. */
  | { state: 'running'; detail: string }
  /** Finished and reconciled, but not (yet) Synced and Healthy. */
  | { state: 'progressing'; detail: string }
  | { state: 'healthy'; detail: string }
  | { state: 'degraded'; detail: string }
  | { state: 'failed'; detail: string };

/**
 * Where an application stands after dpbot asked for a sync (or a rollback) to `revision`, by the
 * rule `argocd app wait` uses: no operation pending; the operation finished (finishedAt set),
 * succeeded, and was about this revision; Argo CD reconciled the app after it finished; the app is
 * Synced (not after a rollback, which leaves it OutOfSync by design) and Healthy. A Healthy seen
 * before reconciliation is the old pods' health, which is why it does not count.
 *
 * `requestedAt` tells an operation state left over from an earlier operation (it started before
 * ours was asked for) from ours.
 */
export function assess(
  app: Application,
  expected: { revision: string; kind: 'sync' | 'rollback'; requestedAt: Date },
): Assessment {
  if (app.operation) return { state: 'running', detail: 'operation requested, not yet started' };
  const op = app.status?.operationState;
  if (!op) return { state: 'running', detail: 'no operation state yet' };
  const started = op.startedAt ? Date.parse(op.startedAt) : Number.NaN;
  // Argo CD stamps startedAt with its own clock; allow it a few seconds behind ours.
  if (!Number.isNaN(started) && started < expected.requestedAt.getTime() - 5_000)
    return { state: 'running', detail: 'waiting for the operation to start' };
  if (op.phase === 'Running' || op.phase === 'Terminating' || !op.phase)
    return {
      state: 'running',
      detail: `operation ${op.phase ?? 'pending'}${op.message ? `: ${op.message}` : ''}`,
    };
  if (op.phase === 'Failed' || op.phase === 'Error')
    return { state: 'failed', detail: `operation ${op.phase}: ${op.message ?? 'no message'}` };
  if (!op.finishedAt) return { state: 'running', detail: 'operation not finished' };
  const synced = op.syncResult?.revision ?? op.operation?.sync?.revision;
  if (synced && synced !== expected.revision)
    return {
      state: 'failed',
      detail: `Argo CD synced ${synced.slice(0, 7)}, not ${expected.revision.slice(0, 7)}`,
    };
  const reconciled = app.status?.reconciledAt ? Date.parse(app.status.reconciledAt) : Number.NaN;
  if (Number.isNaN(reconciled) || reconciled < Date.parse(op.finishedAt))
    return { state: 'running', detail: 'waiting for Argo CD to compare the app after the sync' };
  if (expected.kind === 'sync' && app.status?.sync?.status !== 'Synced')
    return { state: 'progressing', detail: `sync status ${app.status?.sync?.status ?? 'unknown'}` };
  const health = app.status?.health?.status ?? 'Unknown';
  const message = app.status?.health?.message ? `: ${app.status.health.message}` : '';
  if (health === 'Healthy') return { state: 'healthy', detail: 'Healthy' };
  if (health === 'Degraded') return { state: 'degraded', detail: `Degraded${message}` };
  return { state: 'progressing', detail: `${health}${message}` };
}

type RevisionHistory = NonNullable<NonNullable<Application['status']>['history']>[number];

/**
 * A history entry that names a deployment. The document leaves both optional; Argo CD always
 * writes `id`, and leaves out `revision` only for a multi-source application (it has `revisions`),
 * which dpbot does not deploy.
 */
export type HistoryEntry = RevisionHistory & { id: number; revision: string };

/** The application's history entries that name a deployment, oldest first. */
export function deploymentHistory(app: Application): HistoryEntry[] {
  return (app.status?.history ?? [])
    .filter((h): h is HistoryEntry => h.id !== undefined && h.revision !== undefined)
    .sort((a, b) => a.id - b.id);
}

/** The history entry deployed before the current one, where a rollback outside a release goes. */
export function previousDeployment(app: Application): { id: number; revision: string } | undefined {
  const history = deploymentHistory(app);
  const current = history.at(-1);
  if (!current) return undefined;
  // Several syncs of the same revision in a row are one deployment for this purpose.
  for (let i = history.length - 2; i >= 0; i--) {
    const entry = history[i];
    if (entry && entry.revision !== current.revision) return { id: entry.id, revision: entry.revision };
  }
  return undefined;
}

/** The newest history entry: what runs now, as far as deployments go (a rollback adds one too). */
export function newestDeployment(app: Application): { id: number; revision: string } | undefined {
  const newest = deploymentHistory(app).at(-1);
  return newest ? { id: newest.id, revision: newest.revision } : undefined;
}

/**
 * The revision an application runs: its newest history entry (a rollback adds one, as a sync
 * does), else what its last operation synced, else what Argo CD compared it against.
 */
export function deployedRevision(app: Application): string | undefined {
  return (
    newestDeployment(app)?.revision ??
    app.status?.operationState?.syncResult?.revision ??
    app.status?.sync?.revision ??
    undefined
  );
}
