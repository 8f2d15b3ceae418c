import { Blocks, Elements, Md } from 'slack-block-builder';
import type { Services } from '../../bot/services.ts';
import { formatDuration } from '../../core/config/duration.ts';
import { errorMessage } from '../../core/errors.ts';
import type { ReleaseApp, ReleaseSnapshot } from '../../db/stores/releaseStore.ts';
import { ArgoCdError } from '../../integrations/argocd/argoCdClient.ts';
import { assess } from '../../integrations/argocd/assess.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import { escapeMrkdwn, noticeMessage, RUN_ACTION } from '../../pipeline/views/common.ts';
import { loadSnapshot, postInThread, publish } from './publish.ts';
import { trackerSummaries, trackerWhenShipped } from './tracker.ts';
import { markdownNotes, stakeholderNotes } from './views.ts';

/** Applications of the included services, in waves: configured waves first, then one service at a time. */
export function planWaves(
  services: Services,
  included: readonly string[],
  revisions: ReadonlyMap<string, string>,
): { application: string; service: string; wave: number; revision: string }[] {
  const config = services.config.release;
  const waves: string[][] = config.waves
    .map((w) => w.filter((s) => included.includes(s)))
    .filter((w) => w.length > 0);
  const placed = new Set(waves.flat());
  for (const s of included) if (!placed.has(s)) waves.push([s]);
  const out: { application: string; service: string; wave: number; revision: string }[] = [];
  waves.forEach((wave, i) => {
    for (const name of wave) {
      const svc = config.services.find((s) => s.name === name);
      for (const application of svc?.applications ?? [])
        out.push({ application, service: name, wave: i + 1, revision: revisions.get(name) ?? '' });
    }
  });
  return out;
}

const FAILED: ReleaseApp['status'][] = ['degraded', 'failed', 'rolling_back', 'rolled_back'];
const TERMINAL: ReleaseApp['status'][] = ['healthy', ...FAILED];

function rollbackButton(releaseId: number, application: string): Message {
  return {
    text: `Roll back ${application}: release rollback ${application} --release ${releaseId}`,
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: `Roll back ${Md.codeInline(application)} to what ran before this release?` }),
      Blocks.Actions().elements(
        Elements.Button({
          text: `Rollback ${application}`,
          actionId: RUN_ACTION,
          value: `release rollback ${application} --release ${releaseId}`,
        }).danger(),
      ),
    ),
  };
}

async function auditEvent(
  services: Services,
  releaseId: number,
  outcome: string,
  detail: object,
  error?: string,
) {
  await services.audit.append({
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

/** Starts the sync of a waiting application; true when Argo CD accepted it. */
async function startSync(services: Services, snapshot: ReleaseSnapshot, app: ReleaseApp): Promise<void> {
  const argocd = services.argocd;
  if (!argocd) return;
  const id = snapshot.release.id;
  const now = services.now();
  try {
    const current = await argocd.get(app.application);
    const history = [...(current.status?.history ?? [])].sort((a, b) => a.id - b.id);
    const previous = history.at(-1);
    await argocd.sync(app.application, app.revision);
    await services.releases.updateApp(id, app.application, {
      status: 'syncing',
      startedAt: now,
      healthySince: null,
      message: `syncing to ${app.revision.slice(0, 7)}`,
      previousHistoryId: previous?.id ?? null,
      previousRevision: previous?.revision ?? null,
    });
    await auditEvent(services, id, 'sync_started', {
      application: app.application,
      revision: app.revision,
      previousHistoryId: previous?.id ?? null,
    });
  } catch (error) {
    if (error instanceof ArgoCdError && error.operationInProgress) {
      const waited = (app.blocked + 1) * services.config.release.pollInterval;
      if (waited > services.config.release.syncTimeout) {
        await services.releases.updateApp(id, app.application, {
          status: 'failed',
          finishedAt: now,
          message: `another Argo CD operation kept running for ${formatDuration(waited)}`,
        });
        await auditEvent(services, id, 'sync_failed', { application: app.application }, error.message);
        return;
      }
      await services.releases.updateApp(id, app.application, {
        blocked: app.blocked + 1,
        message: 'waiting: another operation is already in progress in Argo CD',
      });
      return;
    }
    await services.releases.updateApp(id, app.application, {
      status: 'failed',
      finishedAt: now,
      message: errorMessage(error),
    });
    await auditEvent(services, id, 'sync_failed', { application: app.application }, errorMessage(error));
  }
}

/** Looks at a syncing application and moves it on: settling, healthy, degraded, failed, or timed out. */
async function checkSync(services: Services, snapshot: ReleaseSnapshot, app: ReleaseApp): Promise<void> {
  const argocd = services.argocd;
  if (!argocd || !app.startedAt) return;
  const id = snapshot.release.id;
  const now = services.now();
  const { settleTime, syncTimeout } = services.config.release;
  let state: ReturnType<typeof assess>;
  try {
    state = assess(await argocd.get(app.application), {
      revision: app.revision,
      kind: 'sync',
      requestedAt: app.startedAt,
    });
  } catch (error) {
    // A blip reading Argo CD is not a failed deployment; the timeout still bounds it.
    services.log.warn({ err: error, application: app.application }, 'could not read the application');
    state = { state: 'running', detail: `cannot read Argo CD: ${errorMessage(error)}` };
  }
  if (state.state === 'healthy') {
    const since = app.healthySince ?? now;
    const settled = now.getTime() - since.getTime() >= settleTime;
    if (settled) {
      await services.releases.updateApp(id, app.application, {
        status: 'healthy',
        finishedAt: now,
        message: 'Healthy',
      });
      await auditEvent(services, id, 'sync_healthy', {
        application: app.application,
        revision: app.revision,
      });
    } else {
      const left = settleTime - (now.getTime() - since.getTime());
      await services.releases.updateApp(id, app.application, {
        healthySince: since,
        message: `Healthy, settling (${formatDuration(left)} to go)`,
      });
    }
    return;
  }
  if (state.state === 'degraded' || state.state === 'failed') {
    await services.releases.updateApp(id, app.application, {
      status: state.state,
      finishedAt: now,
      healthySince: null,
      message: state.detail,
    });
    await auditEvent(services, id, `sync_${state.state}`, { application: app.application }, state.detail);
    await postInThread(
      services,
      snapshot,
      app.service,
      noticeMessage(`${app.application} is ${state.state}: ${state.detail}`, 'in_channel'),
    );
    await postInThread(services, snapshot, app.service, rollbackButton(id, app.application));
    return;
  }
  const elapsed = now.getTime() - app.startedAt.getTime();
  if (elapsed > syncTimeout) {
    await services.releases.updateApp(id, app.application, {
      status: 'failed',
      finishedAt: now,
      message: `not done after ${formatDuration(syncTimeout)}: ${state.detail}`,
    });
    await auditEvent(services, id, 'sync_timed_out', { application: app.application }, state.detail);
    await postInThread(services, snapshot, app.service, rollbackButton(id, app.application));
    return;
  }
  // Not Healthy now: a Healthy seen earlier does not count any more.
  await services.releases.updateApp(id, app.application, { healthySince: null, message: state.detail });
}

/**
 * One look at a shipping release, run by the watcher job every poll interval: starts the syncs of
 * the current wave, follows the running ones, and finishes the release when every application is
 * done. Returns whether the watcher should look again.
 */
export async function shipTick(services: Services, id: number): Promise<boolean> {
  let snapshot = await loadSnapshot(services, id);
  if (snapshot.release.status !== 'shipping') return false;
  const before = signature(snapshot.apps);
  for (const app of snapshot.apps.filter((a) => a.status === 'syncing'))
    await checkSync(services, snapshot, app);
  snapshot = await loadSnapshot(services, id);
  const failed = snapshot.apps.some((a) => FAILED.includes(a.status));
  const open = snapshot.apps.filter((a) => !TERMINAL.includes(a.status));
  const current = Math.min(...open.map((a) => a.wave));
  if (!failed && open.length) {
    const inWave = open.filter((a) => a.wave === current);
    // A wave starts only when the one before it is entirely done.
    for (const app of inWave.filter((a) => a.status === 'waiting')) await startSync(services, snapshot, app);
  }
  snapshot = await loadSnapshot(services, id);
  await updateServiceStatuses(services, snapshot);
  const stillSyncing = snapshot.apps.some((a) => a.status === 'syncing');
  const anyFailed = snapshot.apps.some((a) => FAILED.includes(a.status));
  const allHealthy = snapshot.apps.every((a) => a.status === 'healthy');
  if (allHealthy) {
    await finishShipped(services, id);
    return false;
  }
  if (anyFailed && !stillSyncing) {
    if (await services.releases.transition(id, ['shipping'], { status: 'failed' })) {
      const summary = snapshot.apps.map((a) => `${a.application}: ${a.status}`).join(', ');
      await auditEvent(services, id, 'ship_failed', { apps: summary });
      const fresh = await publish(services, id);
      await postInThread(
        services,
        fresh,
        null,
        noticeMessage(
          `Release #${id} stopped: ${summary}. Roll back what is broken (Rollback buttons), then "release ship --release ${id}" retries what did not ship.`,
          'in_channel',
        ),
      );
    }
    return false;
  }
  // chat.update is rate-limited (about 50 a minute): update the message only when something changed.
  if (signature(snapshot.apps) !== before) await publish(services, id, []);
  return true;
}

const signature = (apps: readonly ReleaseApp[]) =>
  apps.map((a) => `${a.application}:${a.status}:${a.message}`).join('|');

async function updateServiceStatuses(services: Services, snapshot: ReleaseSnapshot): Promise<void> {
  for (const row of snapshot.services) {
    const apps = snapshot.apps.filter((a) => a.service === row.service);
    if (!apps.length) continue;
    const status = apps.every((a) => a.status === 'healthy')
      ? 'done'
      : apps.some((a) => a.status === 'rolled_back' || a.status === 'rolling_back')
        ? 'rolled_back'
        : apps.some((a) => a.status === 'degraded' || a.status === 'failed')
          ? 'failed'
          : apps.some((a) => a.status === 'waiting')
            ? 'waiting'
            : 'deploying';
    if (status !== row.shipStatus)
      await services.releases.updateService(snapshot.release.id, row.service, { shipStatus: status });
  }
}

/** Every included application is healthy: mark shipped, tell stakeholders, tracker, GitHub releases. */
async function finishShipped(services: Services, id: number): Promise<void> {
  const now = services.now();
  if (
    !(await services.releases.transition(id, ['shipping'], {
      status: 'shipped',
      active: null,
      shippedAt: now,
    }))
  )
    return;
  let snapshot = await loadSnapshot(services, id);
  await auditEvent(services, id, 'shipped', { apps: snapshot.apps.map((a) => a.application) });
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
  await services.audit.append({
    requestId: `release-${id}`,
    kind: 'event',
    entry: 'system',
    command: 'release ship',
    action: 'release.ship',
    resource: `release:${id}`,
    outcome: 'notes_posted',
    detail: { notes },
  });
  await services.releases.update(id, {
    notesPostedAt: now,
    trackerNote: [snapshot.release.trackerNote, ...notes.filter((n) => !n.startsWith('notes'))]
      .filter(Boolean)
      .join('; '),
  });
  snapshot = await publish(services, id);
  await postInThread(
    services,
    snapshot,
    null,
    noticeMessage(
      `Release #${id} shipped: every application is healthy. ${notes.join('; ')}`.trim(),
      'in_channel',
    ),
  );
}

async function githubReleases(services: Services, snapshot: ReleaseSnapshot): Promise<string[]> {
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

/** The live line for an application, for `release status`. */
export function appLine(app: ReleaseApp): string {
  return `${escapeMrkdwn(app.application)} (wave ${app.wave}) ${app.status}${app.message ? ` — ${escapeMrkdwn(app.message)}` : ''}`;
}
