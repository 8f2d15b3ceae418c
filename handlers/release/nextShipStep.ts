import { formatDuration } from '../../core/config/duration.ts';
import type { Assessment } from '../../integrations/argocd/assess.ts';
import type { Message } from '../../pipeline/message.ts';
import { noticeMessage } from '../../pipeline/views/common.ts';
import type { ReleaseApp, ReleaseService, ReleaseSnapshot } from './stores/releaseStore.ts';
import { rollbackButtonMessage } from './views/notices.ts';

/**
 * One look of the ship watcher, as a pure function: what the release looks like, what Argo CD said,
 * and the time go in; the writes, audit events, messages and the verdict come out. The executor
 * (shipTick.ts) reads the database and Argo CD, then performs the actions in order.
 */

export interface ShipSettings {
  /** How long an application must stay Healthy before it counts as done (ms). */
  settleTime: number;
  /** An application not done by then counts as failed (ms). */
  syncTimeout: number;
  /** How often the watcher looks (ms); a sync blocked by another operation waits this long per look. */
  pollInterval: number;
}

/** What Argo CD answered when asked to sync a waiting application. */
export type SyncAnswer =
  | {
      kind: 'accepted';
      previous: { id: number; revision: string } | null;
      /** Synced without a revision, to the head of the ref an auto-synced application follows (see syncRequest). */
      target?: { ref: string; head: string };
      /** When the sync was asked (an earlier look's, found after a restart); else now. */
      requestedAt?: Date;
    }
  /** Not asked: the application is auto-synced and its ref's head is not the release commit. */
  | { kind: 'refused'; reason: string }
  /** Another operation is already running in Argo CD. */
  | { kind: 'busy'; error: string }
  | { kind: 'failed'; error: string };

export interface ShipSnapshot {
  release: ReleaseSnapshot;
  now: Date;
  settings: ShipSettings;
  /** Argo CD's assessment of each syncing application, read at the start of the look. */
  observed: ReadonlyMap<string, Assessment>;
  /** Argo CD's answers to the syncs started during the look (see syncsToStart). */
  started: ReadonlyMap<string, SyncAnswer>;
}

export type AppChange = Partial<
  Pick<
    ReleaseApp,
    | 'status'
    | 'startedAt'
    | 'finishedAt'
    | 'healthySince'
    | 'message'
    | 'previousHistoryId'
    | 'previousRevision'
    | 'blocked'
  >
>;

export type ShipAction =
  | { kind: 'updateApp'; application: string; values: AppChange }
  | { kind: 'audit'; outcome: string; detail: Record<string, unknown>; error?: string }
  /** A reply in the service's thread, or the release message's when `service` is null. */
  | { kind: 'post'; service: string | null; message: Message }
  | { kind: 'updateService'; service: string; shipStatus: ReleaseService['shipStatus'] }
  /** Update the release message (only it: the service threads did not change). */
  | { kind: 'publish' }
  /** Something failed and nothing is syncing any more: the release stops. */
  | { kind: 'stop'; summary: string; notice: Message }
  /** Every application is healthy: the release is shipped and its notes go out. */
  | { kind: 'finish' };

export interface ShipStep {
  actions: ShipAction[];
  /** The release once the actions are done, for the messages the executor updates. */
  after: ReleaseSnapshot;
  /** Whether the watcher looks again after the poll interval. */
  watchAgain: boolean;
}

const FAILED: readonly ReleaseApp['status'][] = ['degraded', 'failed', 'rolling_back', 'rolled_back'];
const TERMINAL: readonly ReleaseApp['status'][] = ['healthy', ...FAILED];

/** The actions so far and the applications and services as they will be once done. */
interface Draft {
  actions: ShipAction[];
  apps: ReleaseApp[];
  services: ReleaseService[];
}

function updateApp(draft: Draft, app: ReleaseApp, values: AppChange): void {
  draft.actions.push({ kind: 'updateApp', application: app.application, values });
  draft.apps = draft.apps.map((a) => (a.application === app.application ? { ...a, ...values } : a));
}

function audit(draft: Draft, outcome: string, detail: Record<string, unknown>, error?: string): void {
  draft.actions.push({ kind: 'audit', outcome, detail, ...(error ? { error } : {}) });
}

/** Moves a syncing application on from what Argo CD says: settling, healthy, degraded, failed, or timed out. */
function follow(
  draft: Draft,
  snapshot: ShipSnapshot,
  app: ReleaseApp,
  startedAt: Date,
  state: Assessment,
): void {
  const { now } = snapshot;
  const { settleTime, syncTimeout } = snapshot.settings;
  const id = snapshot.release.release.id;
  if (state.state === 'healthy') {
    const since = app.healthySince ?? now;
    const healthyFor = now.getTime() - since.getTime();
    if (healthyFor >= settleTime) {
      updateApp(draft, app, { status: 'healthy', finishedAt: now, message: 'Healthy' });
      audit(draft, 'sync_healthy', { application: app.application, revision: app.revision });
    } else
      updateApp(draft, app, {
        healthySince: since,
        // A fixed end, not a countdown: the text (and so the release message) changes only when
        // the state does, not at every look.
        message: `Healthy, settling until ${new Date(since.getTime() + settleTime).toISOString().slice(11, 19)} UTC`,
      });
    return;
  }
  if (state.state === 'degraded' || state.state === 'failed') {
    updateApp(draft, app, {
      status: state.state,
      finishedAt: now,
      healthySince: null,
      message: state.detail,
    });
    audit(draft, `sync_${state.state}`, { application: app.application }, state.detail);
    // One reply: what went wrong, and the way back.
    draft.actions.push({
      kind: 'post',
      service: app.service,
      message: rollbackButtonMessage(
        id,
        app.application,
        `${app.application} is ${state.state}: ${state.detail}.`,
      ),
    });
    return;
  }
  const elapsed = now.getTime() - startedAt.getTime();
  if (elapsed > syncTimeout) {
    updateApp(draft, app, {
      status: 'failed',
      finishedAt: now,
      message: `not done after ${formatDuration(syncTimeout)}: ${state.detail}`,
    });
    audit(draft, 'sync_timed_out', { application: app.application }, state.detail);
    draft.actions.push({
      kind: 'post',
      service: app.service,
      message: rollbackButtonMessage(id, app.application),
    });
    return;
  }
  // Not Healthy now: a Healthy seen earlier does not count any more.
  updateApp(draft, app, { healthySince: null, message: state.detail });
}

/** Records Argo CD's answer to the sync of a waiting application. */
function started(draft: Draft, snapshot: ShipSnapshot, app: ReleaseApp, answer: SyncAnswer): void {
  const { now } = snapshot;
  const { pollInterval, syncTimeout } = snapshot.settings;
  if (answer.kind === 'accepted') {
    const rev = app.revision.slice(0, 7);
    updateApp(draft, app, {
      status: 'syncing',
      startedAt: answer.requestedAt ?? now,
      healthySince: null,
      message: answer.target ? `syncing ${answer.target.ref} (at ${rev})` : `syncing to ${rev}`,
      previousHistoryId: answer.previous?.id ?? null,
      previousRevision: answer.previous?.revision ?? null,
    });
    audit(draft, 'sync_started', {
      application: app.application,
      revision: app.revision,
      previousHistoryId: answer.previous?.id ?? null,
      ...(answer.target ? { syncedRef: answer.target.ref } : {}),
    });
    if (answer.target)
      draft.actions.push({
        kind: 'post',
        service: app.service,
        message: noticeMessage(
          `Auto-sync is on for ${app.application}: Argo CD syncs it only to ${answer.target.ref}, not to a commit. ` +
            `GitHub says ${answer.target.ref} is at ${rev}, the release commit, so dpbot synced ${answer.target.ref}; it counts as done only once Argo CD deployed ${rev}.`,
          'in_channel',
        ),
      });
    return;
  }
  if (answer.kind === 'refused') {
    updateApp(draft, app, { status: 'failed', finishedAt: now, message: answer.reason });
    audit(draft, 'sync_refused', { application: app.application }, answer.reason);
    draft.actions.push({
      kind: 'post',
      service: app.service,
      message: noticeMessage(`${app.application} was not synced: ${answer.reason}.`, 'in_channel'),
    });
    return;
  }
  if (answer.kind === 'busy') {
    const waited = (app.blocked + 1) * pollInterval;
    if (waited <= syncTimeout) {
      updateApp(draft, app, {
        blocked: app.blocked + 1,
        message: 'waiting: another operation is already in progress in Argo CD',
      });
      return;
    }
    updateApp(draft, app, {
      status: 'failed',
      finishedAt: now,
      message: `another Argo CD operation kept running for ${formatDuration(waited)}`,
    });
    audit(draft, 'sync_failed', { application: app.application }, answer.error);
    return;
  }
  updateApp(draft, app, { status: 'failed', finishedAt: now, message: answer.error });
  audit(draft, 'sync_failed', { application: app.application }, answer.error);
}

/** The waiting applications of the first wave not done; none once anything failed. */
function startable(apps: readonly ReleaseApp[]): ReleaseApp[] {
  if (apps.some((a) => FAILED.includes(a.status))) return [];
  const open = apps.filter((a) => !TERMINAL.includes(a.status));
  if (!open.length) return [];
  // A wave starts only when the one before it is entirely done.
  const current = Math.min(...open.map((a) => a.wave));
  return open.filter((a) => a.wave === current && a.status === 'waiting');
}

function serviceStatus(apps: readonly ReleaseApp[]): ReleaseService['shipStatus'] {
  if (apps.every((a) => a.status === 'healthy')) return 'done';
  if (apps.some((a) => a.status === 'rolled_back' || a.status === 'rolling_back')) return 'rolled_back';
  if (apps.some((a) => a.status === 'degraded' || a.status === 'failed')) return 'failed';
  if (apps.some((a) => a.status === 'waiting')) return 'waiting';
  return 'deploying';
}

function updateServices(draft: Draft): void {
  draft.services = draft.services.map((row) => {
    const apps = draft.apps.filter((a) => a.service === row.service);
    if (!apps.length) return row;
    const shipStatus = serviceStatus(apps);
    if (shipStatus === row.shipStatus) return row;
    draft.actions.push({ kind: 'updateService', service: row.service, shipStatus });
    return { ...row, shipStatus };
  });
}

const signature = (apps: readonly ReleaseApp[]) =>
  apps.map((a) => `${a.application}:${a.status}:${a.message}`).join('|');

function followed(snapshot: ShipSnapshot): Draft {
  const draft: Draft = {
    actions: [],
    apps: [...snapshot.release.apps],
    services: [...snapshot.release.services],
  };
  for (const app of snapshot.release.apps) {
    const state = snapshot.observed.get(app.application);
    if (app.status === 'syncing' && app.startedAt && state)
      follow(draft, snapshot, app, app.startedAt, state);
  }
  return draft;
}

/**
 * The applications whose sync this look starts, once the syncing ones have moved on from what
 * Argo CD said; the executor asks Argo CD to sync them and passes the answers in `started`.
 */
export function syncsToStart(snapshot: Omit<ShipSnapshot, 'started'>): ReleaseApp[] {
  if (snapshot.release.release.status !== 'shipping') return [];
  return startable(followed({ ...snapshot, started: new Map() }).apps);
}

/**
 * One look at a shipping release: follows the syncing applications, records the syncs started,
 * updates each service's status, and decides whether the release is shipped, stopped, or still
 * going (the release message is updated only when an application changed: chat.update is
 * rate-limited to about 50 a minute).
 */
export function nextShipStep(snapshot: ShipSnapshot): ShipStep {
  if (snapshot.release.release.status !== 'shipping')
    return { actions: [], after: snapshot.release, watchAgain: false };
  const draft = followed(snapshot);
  for (const app of startable(draft.apps)) {
    const answer = snapshot.started.get(app.application);
    if (answer) started(draft, snapshot, app, answer);
  }
  updateServices(draft);
  const after: ReleaseSnapshot = { ...snapshot.release, apps: draft.apps, services: draft.services };
  const id = snapshot.release.release.id;
  if (draft.apps.every((a) => a.status === 'healthy')) {
    draft.actions.push({ kind: 'finish' });
    return { actions: draft.actions, after, watchAgain: false };
  }
  const anyFailed = draft.apps.some((a) => FAILED.includes(a.status));
  const stillSyncing = draft.apps.some((a) => a.status === 'syncing');
  if (anyFailed && !stillSyncing) {
    const summary = draft.apps.map((a) => `${a.application}: ${a.status}`).join(', ');
    draft.actions.push({
      kind: 'stop',
      summary,
      notice: noticeMessage(
        `Release #${id} stopped: ${summary}. Roll back what is broken (Rollback buttons), then "release ship --release ${id}" retries what did not ship.`,
        'in_channel',
      ),
    });
    return { actions: draft.actions, after, watchAgain: false };
  }
  if (signature(draft.apps) !== signature(snapshot.release.apps)) draft.actions.push({ kind: 'publish' });
  return { actions: draft.actions, after, watchAgain: true };
}
