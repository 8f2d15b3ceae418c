import { describe, expect, it } from 'vitest';
import {
  nextShipStep,
  type ShipSnapshot,
  type SyncAnswer,
  syncsToStart,
} from '../../handlers/release/nextShipStep.ts';
import type {
  Release,
  ReleaseApp,
  ReleaseService,
  ReleaseSnapshot,
} from '../../handlers/release/stores/releaseStore.ts';
import { syncRequest } from '../../handlers/release/syncRequest.ts';
import type { Assessment } from '../../integrations/argocd/assess.ts';

const now = new Date('2026-11-18T10:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const settings = { settleTime: 120_000, syncTimeout: 1_800_000, pollInterval: 10_000 };

const release: Release = {
  id: 7,
  status: 'shipping',
  active: true,
  startedBy: 'ada@example.com',
  since: '2026-11-02',
  channel: '#releases',
  messageTs: '100.1',
  shipStartedBy: 'ada@example.com',
  shipStartedAt: minutesAgo(10),
  shippedAt: null,
  trackerNote: null,
  notesPostedAt: null,
  createdAt: minutesAgo(60),
  updatedAt: minutesAgo(10),
};

function service(name: string, shipStatus: ReleaseService['shipStatus']): ReleaseService {
  return {
    releaseId: 7,
    service: name,
    repository: `acme/${name}`,
    branch: 'main',
    revision: `${name}-head-revision`,
    revisionDate: minutesAgo(120),
    sinceRevision: null,
    sinceDate: minutesAgo(10_000),
    threadTs: `${name}.thread`,
    shipStatus,
  };
}

function app(application: string, over: Partial<ReleaseApp> = {}): ReleaseApp {
  return {
    releaseId: 7,
    application,
    service: application,
    wave: 1,
    revision: 'abcdef0123456789',
    status: 'waiting',
    previousHistoryId: null,
    previousRevision: null,
    startedAt: null,
    syncRequestedAt: null,
    healthySince: null,
    finishedAt: null,
    message: null,
    blocked: 0,
    ...over,
  };
}

function snapshot(
  apps: ReleaseApp[],
  services: ReleaseService[],
  more: {
    observed?: [string, Assessment][];
    started?: [string, SyncAnswer][];
    status?: Release['status'];
  } = {},
): ShipSnapshot {
  const state: ReleaseSnapshot = {
    release: { ...release, status: more.status ?? 'shipping' },
    services,
    confirmations: [],
    prs: [],
    apps,
  };
  return {
    release: state,
    now,
    settings,
    observed: new Map(more.observed ?? []),
    started: new Map(more.started ?? []),
  };
}

const kinds = (s: ReturnType<typeof nextShipStep>) => s.actions.map((a) => a.kind);

describe('nextShipStep', () => {
  it('does nothing for a release that is not shipping', () => {
    const s = snapshot([app('orders')], [service('orders', 'waiting')], { status: 'cancelled' });
    expect(syncsToStart(s)).toEqual([]);
    expect(nextShipStep(s)).toMatchObject({ actions: [], watchAgain: false });
  });

  it('starts the first wave only, and the next once the first is entirely done', () => {
    const waiting = snapshot(
      [app('orders'), app('catalog', { wave: 1 }), app('ingest', { wave: 2 })],
      [service('orders', 'waiting'), service('catalog', 'waiting'), service('ingest', 'waiting')],
    );
    expect(syncsToStart(waiting).map((a) => a.application)).toEqual(['orders', 'catalog']);

    // orders settled this look: healthy for longer than settleTime, so wave 2 waits only for catalog.
    const settling = snapshot(
      [
        app('orders', { status: 'syncing', startedAt: minutesAgo(5), healthySince: minutesAgo(3) }),
        app('catalog', { status: 'syncing', startedAt: minutesAgo(5), healthySince: minutesAgo(1) }),
        app('ingest', { wave: 2 }),
      ],
      [service('orders', 'deploying'), service('catalog', 'deploying'), service('ingest', 'waiting')],
      {
        observed: [
          ['orders', { state: 'healthy', detail: 'Synced and Healthy' }],
          ['catalog', { state: 'healthy', detail: 'Synced and Healthy' }],
        ],
      },
    );
    expect(syncsToStart(settling)).toEqual([]);
    const step = nextShipStep(settling);
    expect(step.actions).toEqual([
      {
        kind: 'updateApp',
        application: 'orders',
        values: { status: 'healthy', finishedAt: now, message: 'Healthy' },
      },
      {
        kind: 'audit',
        outcome: 'sync_healthy',
        detail: { application: 'orders', revision: 'abcdef0123456789' },
      },
      {
        kind: 'updateApp',
        application: 'catalog',
        values: { healthySince: minutesAgo(1), message: 'Healthy, settling until 10:01:00 UTC' },
      },
      { kind: 'updateService', service: 'orders', shipStatus: 'done' },
      { kind: 'publish' },
    ]);
    expect(step.watchAgain).toBe(true);

    // Once catalog settles too, wave 2 starts in the same look.
    const next = snapshot(
      [
        app('orders', { status: 'healthy' }),
        app('catalog', { status: 'syncing', startedAt: minutesAgo(5), healthySince: minutesAgo(3) }),
        app('ingest', { wave: 2 }),
      ],
      [service('orders', 'done'), service('catalog', 'deploying'), service('ingest', 'waiting')],
      { observed: [['catalog', { state: 'healthy', detail: 'Synced and Healthy' }]] },
    );
    expect(syncsToStart(next).map((a) => a.application)).toEqual(['ingest']);
  });

  it('records a sync Argo CD accepted, with what ran before, and one blocked by another operation', () => {
    const s = snapshot(
      [app('orders'), app('catalog', { blocked: 2 })],
      [service('orders', 'waiting'), service('catalog', 'waiting')],
      {
        started: [
          ['orders', { kind: 'accepted', previous: { id: 4, revision: 'old-revision' } }],
          ['catalog', { kind: 'busy', error: 'another operation is already in progress' }],
        ],
      },
    );
    const step = nextShipStep(s);
    expect(step.actions).toEqual([
      {
        kind: 'updateApp',
        application: 'orders',
        values: {
          status: 'syncing',
          startedAt: now,
          healthySince: null,
          message: 'syncing to abcdef0',
          previousHistoryId: 4,
          previousRevision: 'old-revision',
        },
      },
      {
        kind: 'audit',
        outcome: 'sync_started',
        detail: { application: 'orders', revision: 'abcdef0123456789', previousHistoryId: 4 },
      },
      {
        kind: 'updateApp',
        application: 'catalog',
        values: { blocked: 3, message: 'waiting: another operation is already in progress in Argo CD' },
      },
      { kind: 'updateService', service: 'orders', shipStatus: 'deploying' },
      { kind: 'publish' },
    ]);
    expect(step.after.apps.map((a) => a.status)).toEqual(['syncing', 'waiting']);
    expect(step.watchAgain).toBe(true);
  });

  it('on Degraded: posts the state and a Rollback button, and stops the release once nothing syncs', () => {
    const s = snapshot(
      [app('orders', { status: 'syncing', startedAt: minutesAgo(2) }), app('ingest', { wave: 2 })],
      [service('orders', 'deploying'), service('ingest', 'waiting')],
      { observed: [['orders', { state: 'degraded', detail: 'pods crash-looping' }]] },
    );
    expect(syncsToStart(s)).toEqual([]);
    const step = nextShipStep(s);
    expect(kinds(step)).toEqual(['updateApp', 'audit', 'post', 'updateService', 'stop']);
    expect(step.actions[0]).toEqual({
      kind: 'updateApp',
      application: 'orders',
      values: { status: 'degraded', finishedAt: now, healthySince: null, message: 'pods crash-looping' },
    });
    expect(step.actions[1]).toEqual({
      kind: 'audit',
      outcome: 'sync_degraded',
      detail: { application: 'orders' },
      error: 'pods crash-looping',
    });
    // One reply: what went wrong and the way back.
    expect(step.actions[2]).toMatchObject({
      kind: 'post',
      service: 'orders',
      message: {
        text: 'orders is degraded: pods crash-looping. Roll back orders: release rollback orders --release 7',
      },
    });
    expect(step.actions[3]).toEqual({ kind: 'updateService', service: 'orders', shipStatus: 'failed' });
    expect(step.actions[4]).toMatchObject({
      kind: 'stop',
      summary: 'orders: degraded, ingest: waiting',
      notice: {
        text: 'Release #7 stopped: orders: degraded, ingest: waiting. Roll back what is broken (Rollback buttons), then "release ship --release 7" retries what did not ship.',
      },
    });
    expect(step.watchAgain).toBe(false);
  });

  it('keeps watching a failure while another application of the wave still syncs', () => {
    const s = snapshot(
      [app('orders', { status: 'failed' }), app('catalog', { status: 'syncing', startedAt: minutesAgo(2) })],
      [service('orders', 'failed'), service('catalog', 'deploying')],
      { observed: [['catalog', { state: 'running', detail: 'Sync operation running' }]] },
    );
    const step = nextShipStep(s);
    expect(step.actions).toEqual([
      {
        kind: 'updateApp',
        application: 'catalog',
        values: { healthySince: null, message: 'Sync operation running' },
      },
      { kind: 'publish' },
    ]);
    expect(step.watchAgain).toBe(true);
  });

  it('fails an application not done within the sync timeout, and one Argo CD refused', () => {
    const timedOut = snapshot(
      [app('orders', { status: 'syncing', startedAt: minutesAgo(31), message: 'Progressing' })],
      [service('orders', 'deploying')],
      { observed: [['orders', { state: 'progressing', detail: 'Progressing' }]] },
    );
    const step = nextShipStep(timedOut);
    expect(step.actions.slice(0, 3)).toMatchObject([
      {
        kind: 'updateApp',
        application: 'orders',
        values: { status: 'failed', finishedAt: now, message: 'not done after 30m: Progressing' },
      },
      { kind: 'audit', outcome: 'sync_timed_out', detail: { application: 'orders' }, error: 'Progressing' },
      {
        kind: 'post',
        service: 'orders',
        message: { text: 'Roll back orders: release rollback orders --release 7' },
      },
    ]);
    expect(kinds(step).slice(3)).toEqual(['updateService', 'stop']);

    const refused = snapshot([app('orders')], [service('orders', 'waiting')], {
      started: [['orders', { kind: 'failed', error: 'Argo CD: permission denied' }]],
    });
    expect(nextShipStep(refused).actions.slice(0, 2)).toEqual([
      {
        kind: 'updateApp',
        application: 'orders',
        values: { status: 'failed', finishedAt: now, message: 'Argo CD: permission denied' },
      },
      {
        kind: 'audit',
        outcome: 'sync_failed',
        detail: { application: 'orders' },
        error: 'Argo CD: permission denied',
      },
    ]);

    // Blocked by another operation for longer than the sync timeout: failed too.
    const blocked = snapshot([app('orders', { blocked: 185 })], [service('orders', 'waiting')], {
      started: [['orders', { kind: 'busy', error: 'another operation is already in progress' }]],
    });
    expect(nextShipStep(blocked).actions[0]).toEqual({
      kind: 'updateApp',
      application: 'orders',
      values: {
        status: 'failed',
        finishedAt: now,
        message: 'another Argo CD operation kept running for 31m',
      },
    });
  });

  it('finishes the release, which posts its notes, once every application is healthy', () => {
    const s = snapshot(
      [
        app('orders', { status: 'healthy' }),
        app('catalog', { status: 'syncing', startedAt: minutesAgo(6), healthySince: minutesAgo(2) }),
      ],
      [service('orders', 'done'), service('catalog', 'deploying')],
      { observed: [['catalog', { state: 'healthy', detail: 'Synced and Healthy' }]] },
    );
    const step = nextShipStep(s);
    expect(kinds(step)).toEqual(['updateApp', 'audit', 'updateService', 'finish']);
    expect(step.actions[2]).toEqual({ kind: 'updateService', service: 'catalog', shipStatus: 'done' });
    expect(step.after.services.map((r) => r.shipStatus)).toEqual(['done', 'done']);
    expect(step.watchAgain).toBe(false);
  });

  it('does not update the release message when nothing changed', () => {
    const s = snapshot(
      [app('orders', { status: 'syncing', startedAt: minutesAgo(1), message: 'Sync operation running' })],
      [service('orders', 'deploying')],
      { observed: [['orders', { state: 'running', detail: 'Sync operation running' }]] },
    );
    const step = nextShipStep(s);
    expect(kinds(step)).toEqual(['updateApp']);
    expect(step.watchAgain).toBe(true);
  });

  it('syncs an auto-synced application through its branch, said in its thread, or not at all when the branch moved on', () => {
    const s = snapshot(
      [app('orders'), app('catalog')],
      [service('orders', 'waiting'), service('catalog', 'waiting')],
      {
        started: [
          [
            'orders',
            {
              kind: 'accepted',
              previous: { id: 0, revision: 'old-revision' },
              target: { ref: 'main', head: 'abcdef0123456789' },
            },
          ],
          ['catalog', { kind: 'refused', reason: 'auto-sync is on for catalog and follows main' }],
        ],
      },
    );
    const step = nextShipStep(s);
    expect(step.actions.slice(0, 7)).toEqual([
      {
        kind: 'updateApp',
        application: 'orders',
        values: {
          status: 'syncing',
          startedAt: now,
          healthySince: null,
          message: 'syncing main (at abcdef0)',
          // History id 0 is a deployment like any other.
          previousHistoryId: 0,
          previousRevision: 'old-revision',
        },
      },
      {
        kind: 'audit',
        outcome: 'sync_started',
        detail: {
          application: 'orders',
          revision: 'abcdef0123456789',
          previousHistoryId: 0,
          syncedRef: 'main',
        },
      },
      {
        kind: 'post',
        service: 'orders',
        message: expect.objectContaining({
          text: 'Auto-sync is on for orders: Argo CD syncs it only to main, not to a commit. GitHub says main is at abcdef0, the release commit, so dpbot synced main; it counts as done only once Argo CD deployed abcdef0.',
        }),
      },
      {
        kind: 'updateApp',
        application: 'catalog',
        values: {
          status: 'failed',
          finishedAt: now,
          message: 'auto-sync is on for catalog and follows main',
        },
      },
      {
        kind: 'audit',
        outcome: 'sync_refused',
        detail: { application: 'catalog' },
        error: 'auto-sync is on for catalog and follows main',
      },
      {
        kind: 'post',
        service: 'catalog',
        message: expect.objectContaining({
          text: 'catalog was not synced: auto-sync is on for catalog and follows main.',
        }),
      },
      { kind: 'updateService', service: 'orders', shipStatus: 'deploying' },
    ]);
    expect(step.after.apps.map((a) => a.status)).toEqual(['syncing', 'failed']);
    // orders still syncs: the release is not stopped yet.
    expect(step.watchAgain).toBe(true);
  });
});

describe('syncRequest', () => {
  const release = { application: 'orders', revision: 'abcdef0123456789', releaseId: 7 };

  it('syncs to the commit unless auto-sync is on and the application follows another ref', () => {
    const commit = { kind: 'revision', revision: 'abcdef0123456789' };
    expect(syncRequest(release, { autoSync: false, targetRevision: 'main' })).toEqual(commit);
    expect(syncRequest(release, { autoSync: true, targetRevision: 'abcdef0123456789' })).toEqual(commit);
    expect(syncRequest(release, { autoSync: true, targetRevision: 'main' })).toEqual({
      kind: 'resolveTarget',
      ref: 'main',
    });
  });

  it('syncs the branch only when GitHub says its head is the release commit, and otherwise says what to do', () => {
    expect(
      syncRequest(release, { autoSync: true, targetRevision: 'main', targetHead: 'abcdef0123456789' }),
    ).toEqual({ kind: 'target', ref: 'main', head: 'abcdef0123456789' });
    expect(
      syncRequest(release, { autoSync: true, targetRevision: 'HEAD', targetHead: '9876543210fedcba' }),
    ).toEqual({
      kind: 'refuse',
      reason:
        "auto-sync is on for orders and follows HEAD, so Argo CD syncs it only to HEAD, which GitHub says is at 9876543, not the release's abcdef0. " +
        'Turn auto-sync off for it (dpbot then syncs the release commit) and "release ship --release 7", or cancel this release and start one that takes in what was merged',
    });
  });
});
