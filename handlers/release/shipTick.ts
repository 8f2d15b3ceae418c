import { errorMessage } from '../../core/errors.ts';
import { type Application, type ArgoCdClient, ArgoCdError } from '../../integrations/argocd/argoCdClient.ts';
import {
  type Assessment,
  assess,
  deploymentHistory,
  newestDeployment,
} from '../../integrations/argocd/assess.ts';
import { autoSyncEnabled, targetRevision } from '../../integrations/argocd/syncPolicy.ts';
import type { QueueSettings } from '../../pipeline/jobs.ts';
import { noticeMessage } from '../../pipeline/views/common.ts';
import { covers, describeFreeze } from '../freeze/index.ts';
import type { ReleaseDeps } from './deps.ts';
import { nextShipStep, type ShipAction, type SyncAnswer, syncsToStart } from './nextShipStep.ts';
import { queueRunningNotices } from './notices/queue.ts';
import { loadSnapshot, postInThread, publishSnapshot } from './publish.ts';
import { QUEUES } from './queues.ts';
import type { ReleaseApp, ReleaseSnapshot } from './stores/releaseStore.ts';
import { type SyncFacts, syncRequest } from './syncRequest.ts';
import { trackerSummaries, trackerWhenShipped } from './tracker.ts';
import { markdownNotes, stakeholderNotes } from './views/release.ts';

async function auditEvent(
  services: ReleaseDeps,
  releaseId: number,
  outcome: string,
  detail: object,
  error?: string,
  idempotencyKey?: string,
) {
  await services.audit.append({
    ...(idempotencyKey ? { idempotencyKey } : {}),
    requestId: `release-${releaseId}`,
    kind: 'event',
    entry: 'system',
    command: 'release ship',
    action: 'release.ship',
    resource: `release:${releaseId}`,
    outcome,
    ...(error ? { error } : {}),
    detail,
  });
}

/** Where a syncing application stands in Argo CD. */
async function observe(services: ReleaseDeps, argocd: ArgoCdClient, app: ReleaseApp, startedAt: Date) {
  try {
    return assess(await argocd.get(app.application), {
      revision: app.revision,
      kind: 'sync',
      requestedAt: startedAt,
    });
  } catch (error) {
    // A blip reading Argo CD is not a failed deployment; the timeout still bounds it.
    services.log.warn({ err: error, application: app.application }, 'could not read the application');
    return { state: 'running', detail: `cannot read Argo CD: ${errorMessage(error)}` } satisfies Assessment;
  }
}

/**
 * Asks Argo CD to sync a waiting application to its release revision, noting what ran before. The
 * sync to the commit is asked at once — its answer carries the history, so no read comes first.
 * Only an auto-synced application refuses it; that one is read, and how to ask (to the ref it
 * follows, once GitHub says that ref is at the release commit) is syncRequest's call.
 */
async function askToSync(
  services: ReleaseDeps,
  argocd: ArgoCdClient,
  release: ReleaseSnapshot,
  app: ReleaseApp,
): Promise<SyncAnswer> {
  try {
    try {
      const accepted = await argocd.sync(app.application, app.revision);
      return { kind: 'accepted', previous: newestDeployment(accepted) ?? null };
    } catch (error) {
      if (!(error instanceof ArgoCdError && error.syncRevisionRefusedForAutoSync)) throw error;
    }
    const current = await argocd.get(app.application);
    const facts: SyncFacts = { autoSync: autoSyncEnabled(current), targetRevision: targetRevision(current) };
    const who = { application: app.application, revision: app.revision, releaseId: release.release.id };
    let request = syncRequest(who, facts);
    if (request.kind === 'resolveTarget') {
      const repository = release.services.find((s) => s.service === app.service)?.repository;
      if (!repository) return { kind: 'failed', error: `no repository is recorded for ${app.service}` };
      const head = await services.github.resolveCommit(repository, request.ref);
      request = syncRequest(who, { ...facts, targetHead: head.oid });
    }
    const previous = newestDeployment(current) ?? null;
    switch (request.kind) {
      case 'revision':
        // Auto-sync was switched off between the refusal and the read.
        await argocd.sync(app.application, request.revision);
        return { kind: 'accepted', previous };
      case 'target':
        await argocd.sync(app.application, undefined);
        return { kind: 'accepted', previous, target: { ref: request.ref, head: request.head } };
      case 'refuse':
        return { kind: 'refused', reason: request.reason };
      case 'resolveTarget':
        return { kind: 'failed', error: `could not resolve ${request.ref} in GitHub` };
    }
  } catch (error) {
    if (error instanceof ArgoCdError && error.operationInProgress)
      return { kind: 'busy', error: error.message };
    return { kind: 'failed', error: errorMessage(error) };
  }
}

/**
 * Asks for an application's sync at most once per ship. The request is recorded (the application's
 * sync_requested_at, and an audit row) and committed before Argo CD is asked; a look that finds
 * it recorded — its predecessor died before writing the answer — asks Argo CD what became of it
 * and follows the operation that request started instead of asking again.
 */
async function requestOnce(
  services: ReleaseDeps,
  argocd: ArgoCdClient,
  release: ReleaseSnapshot,
  app: ReleaseApp,
): Promise<SyncAnswer> {
  const id = release.release.id;
  if (app.syncRequestedAt) {
    const found = await earlierRequest(services, argocd, app, app.syncRequestedAt);
    if (found) {
      await auditEvent(services, id, 'sync_found', {
        application: app.application,
        revision: app.revision,
        requestedAt: app.syncRequestedAt.toISOString(),
      });
      return found;
    }
  }
  const requestedAt = services.now();
  await services.releases.updateApp(id, app.application, { syncRequestedAt: requestedAt });
  await auditEvent(services, id, 'sync_requested', { application: app.application, revision: app.revision });
  const answer = await askToSync(services, argocd, release, app);
  // Not accepted: nothing of this request runs in Argo CD, so the next ask is a fresh one.
  if (answer.kind !== 'accepted')
    await services.releases.updateApp(id, app.application, { syncRequestedAt: null });
  return { ...answer, ...(answer.kind === 'accepted' ? { requestedAt } : {}) };
}

/**
 * What Argo CD did with a sync asked at `requestedAt` whose answer was never recorded: an
 * operation requested or started since then, to the release revision, is taken as that request's.
 */
async function earlierRequest(
  services: ReleaseDeps,
  argocd: ArgoCdClient,
  app: ReleaseApp,
  requestedAt: Date,
): Promise<SyncAnswer | undefined> {
  let current: Application;
  try {
    current = await argocd.get(app.application);
  } catch (error) {
    // Asking again is what this is here to avoid: look later.
    throw new Error(
      `could not read ${app.application} to see whether its sync was asked: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const op = current.status?.operationState;
  const started = op?.startedAt ? Date.parse(op.startedAt) : Number.NaN;
  const pending = current.operation;
  // Argo CD stamps startedAt with its own clock; allow it a few seconds behind ours (as assess does).
  const since = !Number.isNaN(started) && started >= requestedAt.getTime() - 5_000;
  if (!pending && !since) return undefined;
  const revision = pending
    ? pending.sync?.revision
    : (op?.syncResult?.revision ?? op?.operation?.sync?.revision);
  if (revision && revision !== app.revision) return undefined;
  const history = deploymentHistory(current);
  const before = history.filter((h) => h.revision !== app.revision).at(-1);
  services.log.info(
    { application: app.application, requestedAt },
    'a sync asked before a restart is under way in Argo CD; following it',
  );
  return {
    kind: 'accepted',
    previous: before ? { id: before.id, revision: before.revision } : null,
    requestedAt,
  };
}

/**
 * One look at a shipping release, run by the watcher job every poll interval: reads the release
 * once and Argo CD, lets nextShipStep decide, and performs what it decided. Returns whether the
 * watcher should look again.
 */
export async function shipTick(services: ReleaseDeps, id: number): Promise<boolean> {
  const release = await loadSnapshot(services, id);
  if (release.release.status !== 'shipping') return false;
  const argocd = services.argocd;
  // The applications of a look are read (and below, asked to sync) at once: a look takes one
  // round trip to Argo CD rather than one per application. A wave bounds how many there are.
  const observed = new Map<string, Assessment>();
  if (argocd)
    await Promise.all(
      release.apps.map(async (app) => {
        if (app.status === 'syncing' && app.startedAt)
          observed.set(app.application, await observe(services, argocd, app, app.startedAt));
      }),
    );
  const { settleTime, syncTimeout, pollInterval } = services.config.release;
  const looked = {
    release,
    now: services.now(),
    settings: { settleTime, syncTimeout, pollInterval },
    observed,
  };
  // What a freeze holds is left waiting, its message saying why (`shown`: the release as it now reads).
  const { start, shown } = await holdFrozen(services, release, syncsToStart(looked));
  const started = new Map<string, SyncAnswer>();
  if (argocd)
    await Promise.all(
      start.map(async (app) =>
        started.set(app.application, await requestOnce(services, argocd, release, app)),
      ),
    );
  const step = nextShipStep({ ...looked, release: shown, started });
  for (const action of step.actions) await perform(services, step.after, action);
  return step.watchAgain;
}

/**
 * Holds the applications a freeze set since the ship started now covers: a freeze declared
 * during an incident stops the waves not yet started (the freezes in force when it started were
 * passed, or excepted with a reason, then). A held application waits, its message saying why,
 * and its thread is told once; the release goes on at the first look after the freeze ends or
 * is lifted. What runs already is left to finish.
 */
async function holdFrozen(
  services: ReleaseDeps,
  release: ReleaseSnapshot,
  toStart: ReleaseApp[],
): Promise<{ start: ReleaseApp[]; shown: ReleaseSnapshot }> {
  const since = release.release.shipStartedAt;
  if (!services.freezeGate || !since || toStart.length === 0) return { start: toStart, shown: release };
  const freezes = await services.freezeGate.newSince(since, [...new Set(toStart.map((a) => a.service))]);
  if (freezes.length === 0) return { start: toStart, shown: release };
  const held = new Map<string, string>();
  const start: ReleaseApp[] = [];
  let newlyHeld = false;
  for (const app of toStart) {
    const holding = freezes.filter((f) => covers(f, app.service));
    if (holding.length === 0) {
      start.push(app);
      continue;
    }
    const said = holding.map(describeFreeze).join('; ');
    const message = `held: ${said}`;
    held.set(app.application, message);
    if (app.message === message) continue;
    newlyHeld = true;
    await services.releases.updateApp(release.release.id, app.application, { message });
    await auditEvent(services, release.release.id, 'wave_held', {
      application: app.application,
      freezes: holding.map((f) => f.label),
    });
    await postInThread(
      services,
      release,
      app.service,
      noticeMessage(
        `${app.application} is held, not deployed: ${said}. Release #${release.release.id} goes on by itself when the freeze ends or is lifted ("unfreeze"); what is deployed already stays.`,
        'in_channel',
      ),
    );
  }
  const shown = {
    ...release,
    apps: release.apps.map((a) => ({ ...a, message: held.get(a.application) ?? a.message })),
  };
  // The release message shows each application's state: held is one, until the wave starts.
  if (newlyHeld) await publishSnapshot(services, shown);
  return { start, shown };
}

async function perform(services: ReleaseDeps, after: ReleaseSnapshot, action: ShipAction): Promise<void> {
  const id = after.release.id;
  switch (action.kind) {
    case 'updateApp':
      return services.releases.updateApp(id, action.application, action.values);
    case 'audit':
      return auditEvent(services, id, action.outcome, action.detail, action.error);
    case 'post':
      return postInThread(services, after, action.service, action.message);
    case 'updateService':
      if (action.shipStatus !== 'done')
        return services.releases.updateService(id, action.service, { shipStatus: action.shipStatus });
      // Healthy: the notices that it runs in production commit with the state that says so.
      await services.releases.inTransaction(async (store, tx) => {
        await store.updateService(id, action.service, { shipStatus: 'done' });
        await queueRunningNotices(services, tx, after, action.service);
      });
      return;
    case 'publish':
      await publishSnapshot(services, after, []);
      return;
    case 'stop':
      if (await services.releases.transition(id, ['shipping'], { status: 'failed' })) {
        await auditEvent(services, id, 'ship_failed', { apps: action.summary });
        const fresh = await publishSnapshot(services, {
          ...after,
          release: { ...after.release, status: 'failed' },
        });
        await postInThread(services, fresh, null, action.notice);
      }
      return;
    case 'finish':
      return finishShipped(services, after);
  }
}

/** Sends what tells everyone a release shipped (`announceShipped`), in `tx`. */
export const SHIPPED_SETTINGS: QueueSettings = {
  // Jira, GitHub or Slack away for a while: the announcement waits for them rather than being lost.
  retryLimit: 8,
  retryDelaySeconds: 30,
  expireInSeconds: 900,
  heartbeatSeconds: 20,
};

/**
 * Every included application is healthy: the release is marked shipped, and the job that tells
 * everyone commits with that state. Announcing used to follow the state's commit in the watcher's
 * look, so a process killed or a database blip between the two left a shipped release whose
 * stakeholders were never told: the next look found it no longer shipping and had nothing to do.
 */
async function finishShipped(services: ReleaseDeps, after: ReleaseSnapshot): Promise<void> {
  const id = after.release.id;
  await services.releases.inTransaction(async (store, tx) => {
    if (
      !(await store.transition(id, ['shipping'], {
        status: 'shipped',
        active: null,
        shippedAt: services.now(),
      }))
    )
      return;
    await services.jobs.send(QUEUES.shipped, { releaseId: id }, { tx, settings: SHIPPED_SETTINGS });
  });
}

/**
 * The `shipped` event, the tracker's fix version, GitHub releases, the stakeholders' notes and the
 * thread's last word, once per release: a job retried after a crash part-way does what the first
 * attempt did not commit. The two events carry keys of their own, so a retry does not write them
 * twice; a notes channel posted just before a crash may be posted again (at least once, never
 * none).
 */
export async function announceShipped(services: ReleaseDeps, id: number): Promise<void> {
  // Read here, not handed over: the tracker job writes the release's note beside the watcher, and
  // the note written below keeps what it added.
  const first = await services.releases.snapshot(id);
  if (!first) {
    services.log.warn({ release: id }, 'a shipped release is no longer in the database; nothing to announce');
    return;
  }
  const release = first.release;
  if (release.status !== 'shipped' || release.notesPostedAt) return;
  const now = services.now();
  let snapshot: ReleaseSnapshot = first;
  await auditEvent(
    services,
    id,
    'shipped',
    { apps: snapshot.apps.map((a) => a.application) },
    undefined,
    `release-${id}-shipped`,
  );
  const notes: string[] = [];
  try {
    const released = await trackerWhenShipped(services, snapshot);
    if (released) notes.push(released);
  } catch (error) {
    notes.push(`the fix version could not be released: ${errorMessage(error)}`);
  }
  if (services.config.release.githubReleases) notes.push(...(await githubReleases(services, snapshot)));
  const issues = await trackerSummaries(services, snapshot);
  const channels = [...new Set(services.config.release.services.flatMap((s) => s.stakeholders))];
  for (const channel of channels) {
    const message = stakeholderNotes(snapshot, services.config, channel, issues);
    if (!message) continue;
    try {
      await services.notifier.post(channel, message);
      notes.push(`notes posted in ${channel}`);
    } catch (error) {
      notes.push(`notes could not be posted in ${channel}: ${errorMessage(error)}`);
    }
  }
  await auditEvent(services, id, 'notes_posted', { notes }, undefined, `release-${id}-notes-posted`);
  const updated = await services.releases.update(id, {
    notesPostedAt: now,
    trackerNote: [snapshot.release.trackerNote, ...notes.filter((n) => !n.startsWith('notes'))]
      .filter(Boolean)
      .join('; '),
  });
  snapshot = await publishSnapshot(services, { ...snapshot, release: updated });
  await postInThread(
    services,
    snapshot,
    null,
    noticeMessage(
      `Release #${id} shipped: every application is healthy.${notes.length ? ` ${sentence(notes)}` : ''}`,
      'in_channel',
    ),
  );
}

/** The notes gathered as sentences: "Jira fix version … released. Notes posted in #a, #b and #c." */
function sentence(notes: readonly string[]): string {
  const posted = notes.filter((n) => n.startsWith('notes posted in ')).map((n) => n.slice(16));
  const others = notes.filter((n) => !n.startsWith('notes posted in '));
  const list = (items: readonly string[]) =>
    items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? '');
  return [...others, ...(posted.length ? [`notes posted in ${list(posted)}`] : [])]
    .map((n) => `${n.charAt(0).toUpperCase()}${n.slice(1)}.`)
    .join(' ');
}

async function githubReleases(services: ReleaseDeps, snapshot: ReleaseSnapshot): Promise<string[]> {
  const out: string[] = [];
  const repos = new Map<string, string>();
  for (const row of snapshot.services) if (row.shipStatus === 'done') repos.set(row.repository, row.revision);
  const date = snapshot.release.createdAt.toISOString().slice(0, 10);
  const tag = services.config.release.tagPattern
    .replace('{date}', date)
    .replace('{id}', String(snapshot.release.id));
  for (const [repository, revision] of repos) {
    try {
      const created = await services.github.createRelease({
        repository,
        tag,
        revision,
        name: `Release #${snapshot.release.id} (${date})`,
        body: markdownNotes(snapshot, services.config, repository),
      });
      out.push(`GitHub release ${tag} in ${repository}`);
      services.log.info({ url: created.url }, 'GitHub release created');
    } catch (error) {
      out.push(`GitHub release in ${repository} failed: ${errorMessage(error)}`);
    }
  }
  return out;
}
