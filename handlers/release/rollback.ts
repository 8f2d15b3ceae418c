import { ConflictError, errorMessage, InputError, UpstreamError } from '../../core/errors.ts';
import { formatTime } from '../../core/time.ts';
import { type ArgoCdClient, ArgoCdError } from '../../integrations/argocd/argoCdClient.ts';
import { assess } from '../../integrations/argocd/assess.ts';
import { autoSyncEnabled } from '../../integrations/argocd/syncPolicy.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { Message } from '../../pipeline/message.ts';
import { noticeMessage } from '../../pipeline/views/common.ts';
import type { ReleaseDeps } from './deps.ts';
import { queueRolledBackNotices } from './notices/queue.ts';
import { nameOf, requireArgo } from './people.ts';
import { loadSnapshot, postInThread, publish } from './publish.ts';
import { QUEUES } from './queues.ts';
import { type ReleaseSnapshot, ROLLBACK_LEASE_SECONDS } from './stores/releaseStore.ts';

export interface RollbackTarget {
  key: string;
  releaseId: number | null;
  service: string;
  application: string;
  historyId: number;
  revision: string | null;
  fromRevision: string | null;
  /** Which deployment is undone, for the confirmation and the reply ("of release #3"). */
  origin: string;
}

export interface RollbackJob {
  key: string;
}

function busy(app: Awaited<ReturnType<ArgoCdClient['get']>>): boolean {
  const phase = app.status?.operationState?.phase;
  return Boolean(app.operation) || phase === 'Running' || phase === 'Terminating';
}

/** Terminates a running operation (a sync of the bad revision, typically) and waits, bounded, for it to stop. */
async function stopRunningOperation(argocd: ArgoCdClient, application: string): Promise<boolean> {
  const app = await argocd.get(application);
  if (!busy(app)) return false;
  try {
    await argocd.terminateOperation(application);
  } catch (error) {
    // It finished between the read and the terminate: nothing left to stop.
    if (!(error instanceof ArgoCdError && error.noOperationInProgress)) throw error;
  }
  for (let i = 0; i < 20; i++) {
    if (!busy(await argocd.get(application))) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new UpstreamError(
    'Argo CD',
    `the running operation of ${application} did not stop; try again in a minute`,
  );
}

/**
 * Rolls one application back to `target`, once: the idempotency record is claimed first, so a
 * second click (or a second replica) finds it and stops. Auto-sync, which makes Argo CD refuse a
 * rollback, is turned off first; the record keeps the policy so the reminder can say what to restore.
 */
export async function rollBack(
  ctx: CommandContext<ReleaseDeps>,
  target: RollbackTarget,
  snapshot?: ReleaseSnapshot,
): Promise<Message> {
  const services = ctx.deps;
  const argocd = requireArgo(services);
  const claim = await services.releases.claimRollback({
    key: target.key,
    releaseId: target.releaseId,
    service: target.service,
    application: target.application,
    historyId: target.historyId,
    revision: target.revision,
    requestedBy: ctx.caller.email,
    status: 'started',
    channel: snapshot?.release.channel ?? ctx.channel,
    threadTs: snapshot?.services.find((s) => s.service === target.service)?.threadTs ?? null,
  });
  if (!claim.won) {
    const r = claim.rollback;
    throw new ConflictError(
      r.status === 'done'
        ? `${target.application} was already rolled back by ${r.requestedBy} at ${formatTime(r.updatedAt)}`
        : `${target.application} is being rolled back by ${r.requestedBy} (since ${formatTime(r.updatedAt)}); a rollback takes seconds, so if that was over ${ROLLBACK_LEASE_SECONDS / 60} minutes ago the process doing it stopped part-way: press Rollback again`,
    );
  }
  const steps: string[] = [];
  try {
    if (await stopRunningOperation(argocd, target.application)) steps.push('stopped the running operation');
    const policy = await argocd.disableAutoSync(target.application);
    if (policy) {
      await services.releases.updateRollback(target.key, { autoSyncPolicy: policy });
      steps.push('turned auto-sync off (Argo CD refuses a rollback while it is on)');
      await ctx.auditStep({
        action: 'release.rollback',
        resource: `service:${target.service}`,
        outcome: 'autosync_disabled',
        detail: { application: target.application, policy },
      });
    }
    await argocd.rollback(target.application, target.historyId);
  } catch (error) {
    await services.releases.updateRollback(target.key, { status: 'failed', error: errorMessage(error) });
    if (error instanceof ArgoCdError && error.autoSyncEnabled)
      throw new ConflictError(
        `Argo CD refused the rollback of ${target.application}: auto-sync was turned on again meanwhile. Try again.`,
      );
    throw error;
  }
  const shipped = snapshot?.apps.find((a) => a.application === target.application);
  const redeploy = shipped !== undefined && shipped.revision === target.revision;
  const autoSyncOff = steps.some((s) => s.startsWith('turned auto-sync off'));
  const now = services.now();
  // Done, and the watcher that follows it (and the reminder), commit together: a process stopped
  // between them would leave a rollback nobody watches, its application "rolling back" for good.
  await services.releases.inTransaction(async (store, tx) => {
    await store.updateRollback(target.key, { status: 'done' });
    if (target.releaseId !== null)
      await store.updateApp(target.releaseId, target.application, {
        status: 'rolling_back',
        startedAt: now,
        healthySince: null,
        message: redeploy
          ? `deploying ${target.revision?.slice(0, 7)} again`
          : `rolling back to ${target.revision?.slice(0, 7) ?? `history ${target.historyId}`}`,
      });
    await services.jobs.send<RollbackJob>(
      QUEUES.watchRollback,
      { key: target.key },
      { startAfter: new Date(now.getTime() + services.config.release.pollInterval), tx },
    );
    if (autoSyncOff)
      await services.jobs.send<RollbackJob>(
        QUEUES.autoSyncReminder,
        { key: target.key },
        { startAfter: new Date(now.getTime() + services.config.release.autoSyncReminderInterval), tx },
      );
  });
  const text =
    `${await nameOf(services, ctx.caller.email)} rolled back ${target.application} (${target.service}) ${target.origin} from ${target.fromRevision?.slice(0, 7) ?? '?'} to ` +
    `${target.revision?.slice(0, 7) ?? '?'} (Argo CD history ${target.historyId})${steps.length ? `; dpbot ${steps.join(' and ')}` : ''}.` +
    (autoSyncOff
      ? ` Auto-sync stays off until someone turns it back on — which deploys the branch head again, so merge the fix first; dpbot will remind this thread.`
      : '');
  if (snapshot) {
    // Said once, in the service's thread of the release; the one who rolled back is told there too.
    const fresh = await publish(services, snapshot.release.id);
    await postInThread(services, fresh, target.service, noticeMessage(text, 'in_channel'));
    return noticeMessage(`${text} (Also in ${target.service}'s thread of release #${snapshot.release.id}.)`);
  }
  return noticeMessage(text, 'in_channel');
}

/** A background event of a rollback, joined to the rollback's own request id. */
async function auditRollbackEvent(
  services: ReleaseDeps,
  key: string,
  service: string,
  outcome: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await services.audit.append({
    requestId: `rollback-${key}`,
    kind: 'event',
    entry: 'system',
    command: 'rollback',
    action: 'release.rollback',
    resource: `service:${service}`,
    outcome,
    detail,
  });
}

/** Follows a rollback until the application is healthy at the old revision (bounded by the sync timeout). */
export async function rollbackTick(services: ReleaseDeps, key: string): Promise<boolean> {
  const rollback = await services.releases.getRollback(key);
  const argocd = services.argocd;
  if (rollback?.status !== 'done' || !argocd) return false;
  const now = services.now();
  const app = await argocd.get(rollback.application);
  const state = assess(app, {
    revision: rollback.revision ?? '',
    kind: 'rollback',
    requestedAt: rollback.updatedAt,
  });
  const timedOut = now.getTime() - rollback.updatedAt.getTime() > services.config.release.syncTimeout;
  if (state.state === 'running' || state.state === 'progressing') {
    if (!timedOut) return true;
  }
  const ok = state.state === 'healthy';
  const shipped =
    rollback.releaseId !== null
      ? (await loadSnapshot(services, rollback.releaseId)).apps.find(
          (a) => a.application === rollback.application,
        )
      : undefined;
  // A rollback to what the release shipped (after the release was rolled back) deploys it again.
  const redeploy = shipped !== undefined && shipped.revision === rollback.revision;
  const detail = ok
    ? redeploy
      ? `running ${rollback.revision?.slice(0, 7)} again (deployed again by ${await nameOf(services, rollback.requestedBy)}'s rollback) and Healthy`
      : `back on ${rollback.revision?.slice(0, 7)} and Healthy`
    : state.detail;
  await auditRollbackEvent(services, key, rollback.service, ok ? 'rollback_healthy' : 'rollback_unhealthy', {
    application: rollback.application,
    state: state.state,
    detail,
  });
  const message = noticeMessage(`Rollback of ${rollback.application}: ${detail}.`, 'in_channel');
  if (rollback.releaseId !== null) {
    await services.releases.updateApp(rollback.releaseId, rollback.application, {
      status: ok ? (redeploy ? 'healthy' : 'rolled_back') : 'degraded',
      finishedAt: now,
      message: detail,
    });
    const snapshot = await loadSnapshot(services, rollback.releaseId);
    const serviceApps = snapshot.apps.filter((a) => a.service === rollback.service);
    const shipStatus =
      redeploy && ok && !serviceApps.some((a) => a.status === 'rolled_back') ? 'done' : 'rolled_back';
    const releaseId = rollback.releaseId;
    // Rolled back: the "rolled back" notices to whoever was told it runs commit with the state.
    await services.releases.inTransaction(async (store, tx) => {
      await store.updateService(releaseId, rollback.service, { shipStatus });
      if (shipStatus === 'rolled_back')
        await queueRolledBackNotices(services, tx, releaseId, rollback.service);
    });
    const fresh = await publish(services, snapshot.release.id);
    await postInThread(services, fresh, rollback.service, message);
  } else if (rollback.channel) {
    await services.notifier.post(
      rollback.channel,
      message,
      rollback.threadTs ? { threadTs: rollback.threadTs } : {},
    );
  }
  return false;
}

/** Reminds that auto-sync is off until it is back on; returns whether to remind again. */
export async function autoSyncReminder(services: ReleaseDeps, key: string): Promise<boolean> {
  const rollback = await services.releases.getRollback(key);
  const argocd = services.argocd;
  if (!rollback || rollback.autoSyncRestoredAt || !rollback.autoSyncPolicy || !argocd) return false;
  const app = await argocd.get(rollback.application);
  const where = async (message: Message) => {
    if (rollback.releaseId !== null) {
      const snapshot = await loadSnapshot(services, rollback.releaseId);
      await postInThread(services, snapshot, rollback.service, message);
    } else if (rollback.channel)
      await services.notifier.post(
        rollback.channel,
        message,
        rollback.threadTs ? { threadTs: rollback.threadTs } : {},
      );
  };
  if (autoSyncEnabled(app)) {
    await services.releases.updateRollback(key, { autoSyncRestoredAt: services.now() });
    await auditRollbackEvent(services, key, rollback.service, 'autosync_restored', {
      application: rollback.application,
    });
    await where(noticeMessage(`Auto-sync of ${rollback.application} is on again.`, 'in_channel'));
    return false;
  }
  await auditRollbackEvent(services, key, rollback.service, 'autosync_reminder', {
    application: rollback.application,
    since: rollback.createdAt.toISOString(),
  });
  await where(
    noticeMessage(
      `Reminder: auto-sync of ${rollback.application} is still off since the rollback by ${await nameOf(services, rollback.requestedBy)} at ${formatTime(rollback.createdAt)}. ` +
        `Once the fix is merged, turn it back on (argocd app set ${rollback.application} --sync-policy automated${rollback.autoSyncPolicy && (rollback.autoSyncPolicy as { selfHeal?: boolean }).selfHeal ? ' --self-heal' : ''}).`,
      'in_channel',
    ),
  );
  return true;
}

export function notDeployed(application: string, releaseId: number): InputError {
  return new InputError(
    `${application} was not deployed by release #${releaseId}, so there is nothing to roll back`,
  );
}
