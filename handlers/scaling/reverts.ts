import { randomUUID } from 'node:crypto';
import { formatDuration } from '../../core/config/duration.ts';
import { errorMessage } from '../../core/errors.ts';
import { type Change, workloadRef } from '../../integrations/kubernetes/kubernetes.ts';
import type { QueueSettings } from '../../pipeline/jobs.ts';
import { type Person, personName, personToken } from '../../pipeline/people.ts';
import { auditChange } from './changes.ts';
import type { ScalingDeps } from './deps.ts';
import { type Announcement, readinessStatus } from './messages.ts';
import { QUEUES } from './queues.ts';
import { watchReadiness } from './readiness.ts';
import type { LockedTeam, ScaleRevert } from './stores/scaleStore.ts';
import { requireKubernetes } from './teams.ts';
import { announcementMessage } from './views.ts';

export interface RevertJob {
  revertId: string;
}

export function revertQueueSettings(services: ScalingDeps): QueueSettings {
  const k = services.config.kubernetes;
  return {
    retryLimit: k.revertRetries,
    retryDelaySeconds: Math.max(1, Math.round(k.revertRetryDelay / 1000)),
    expireInSeconds: 300,
    // A revert whose process died (or lost the database and with it the means to report the
    // failure) is retried elsewhere within a minute, not after its expiry.
    heartbeatSeconds: 20,
  };
}

/**
 * Queues the timed revert of a temporary change, due at its time, and records the job's id; under
 * a team's lock, in its transaction, so the revert row and its job commit together.
 */
export async function scheduleRevert(
  services: ScalingDeps,
  revert: ScaleRevert,
  locked?: LockedTeam,
): Promise<void> {
  const id = await services.jobs.send<RevertJob>(
    QUEUES.revert,
    { revertId: revert.id },
    {
      startAfter: revert.dueAt,
      settings: revertQueueSettings(services),
      ...(locked ? { tx: locked.tx } : {}),
    },
  );
  if (!id) return;
  if (locked) await locked.setRevertJob(revert.id, id);
  else await services.scaling.setRevertJob(revert.id, id);
}

/** Cancels a revert's job once its row is settled; the row, not the job, decides, so failure is harmless. */
export async function cancelRevertJob(services: ScalingDeps, revert: ScaleRevert): Promise<void> {
  if (!revert.jobId) return;
  try {
    await services.jobs.cancel(QUEUES.revert, revert.jobId);
  } catch (error) {
    services.log.warn(
      { err: error, revertId: revert.id },
      'could not cancel a settled revert job; it will find the revert settled and do nothing',
    );
  }
}

/**
 * How the temporary change was described, for the thread: `set by Grace Hopper for 2h ("backfill
 * lag")`; `name` says how the person is named (a token in announcements, which become mentions).
 */
export function temporaryChangeLine(revert: ScaleRevert, name: (p: Person) => string = personName): string {
  // created_at is the transaction's start, a moment before the due time was computed: round.
  const length = formatDuration(
    Math.round((revert.dueAt.getTime() - revert.createdAt.getTime()) / 1000) * 1000,
  );
  return `${revert.fromReplicas} → ${revert.toReplicas} was set by ${name({ email: revert.requestedBy, slackUserId: revert.requestedBySlackId })} for ${length}${revert.reason ? ` ("${revert.reason}")` : ''}`;
}

type RevertResult =
  | { kind: 'gone' }
  | { kind: 'reverted'; change: Change; revert: ScaleRevert }
  | { kind: 'skipped'; now: number | null; revert: ScaleRevert }
  | { kind: 'failed'; error: string; revert: ScaleRevert };

/**
 * Restores the count a temporary change replaced, once: under the team's lock, only while the
 * revert is still pending (a later scale, `--revert` or another replica may have settled it). A
 * count someone changed since is left alone. A failure is audited and thrown so the job queue
 * retries with backoff; the last attempt marks the revert failed and says so in the thread.
 */
export async function runRevert(
  services: ScalingDeps,
  revertId: string,
  attempt: { retryCount: number; retryLimit: number },
): Promise<void> {
  const row = await services.scaling.revert(revertId);
  if (row?.status !== 'pending') return;
  const settings = services.config.kubernetes;
  const requestId = randomUUID();
  const base = { requestId, kind: 'event' as const, entry: 'system', email: null, channel: row.channel };
  const detail = {
    team: row.team,
    target: row.target,
    mode: row.mode,
    from: row.toReplicas,
    to: row.fromReplicas,
    reason: row.reason,
    revertOf: row.id,
  };
  // Committed before the lock's transaction (which holds the row, and whose writes a process
  // killed mid-change loses): a retry that finds the count already restored knows the change as
  // an attempt of its own.
  await services.scaling.markRevertStarted(revertId);
  const result = await services.scaling.withTeamLock<RevertResult>(
    row.team,
    settings.lockTimeout,
    async (locked) => {
      const revert = await locked.revert(revertId);
      if (revert?.status !== 'pending') return { kind: 'gone' };
      const team = services.config.teams.find((t) => t.name === revert.team);
      const target = team?.targets.find((t) => t.name === revert.target);
      if (!team || !target) {
        const error = `${revert.team}/${revert.target} is no longer in the configuration`;
        await locked.settleRevert(revert.id, 'failed', 'dpbot', error);
        await auditChange(services, { ...base, outcome: 'revert_failed', error, detail });
        return { kind: 'failed', error, revert };
      }
      const k8s = requireKubernetes(services);
      const ref = workloadRef(target);
      let change: Change;
      try {
        const now =
          revert.mode === 'hpaMinReplicas'
            ? ((await k8s.hpaFor(ref))?.minReplicas ?? null)
            : (await k8s.read(ref)).replicas;
        if (now !== revert.toReplicas && revert.revertStartedAt && now === revert.fromReplicas) {
          // An earlier attempt made the change and died before recording it: it is this
          // revert's own, so it is recorded (and announced) as done, not changed again.
          change = { from: revert.toReplicas, to: revert.fromReplicas, conflicts: 0 };
          await locked.settleRevert(revert.id, 'reverted', 'dpbot');
          await auditChange(services, {
            ...base,
            outcome: 'reverted',
            detail: { ...detail, conflicts: 0, recovered: true },
          });
          return { kind: 'reverted', change, revert };
        }
        if (now !== revert.toReplicas) {
          // Someone changed it since (outside dpbot, or an HPA that came later): theirs wins.
          const note = `it is ${now ?? 'without an HPA'} now, not the ${revert.toReplicas} set temporarily`;
          await locked.settleRevert(revert.id, 'skipped', 'dpbot', note);
          await auditChange(services, { ...base, outcome: 'revert_skipped', reason: note, detail });
          return { kind: 'skipped', now, revert };
        }
        change =
          revert.mode === 'hpaMinReplicas'
            ? await k8s.setHpaMinReplicas(ref, (await k8s.hpaFor(ref))?.name ?? '', revert.fromReplicas)
            : await k8s.setReplicas(ref, revert.fromReplicas);
      } catch (error) {
        const last = attempt.retryCount >= attempt.retryLimit;
        const message = errorMessage(error);
        await auditChange(services, {
          ...base,
          outcome: 'revert_failed',
          error: last ? message : `${message} (attempt ${attempt.retryCount + 1}; will retry)`,
          detail,
        });
        if (!last) throw error;
        await locked.settleRevert(revert.id, 'failed', 'dpbot', message);
        return { kind: 'failed', error: message, revert };
      }
      await locked.settleRevert(revert.id, 'reverted', 'dpbot');
      await auditChange(services, {
        ...base,
        outcome: 'reverted',
        detail: { ...detail, from: change.from, conflicts: change.conflicts },
      });
      return { kind: 'reverted', change, revert };
    },
  );
  if (result.kind === 'gone') return;
  await announceRevert(services, result);
}

async function announceRevert(
  services: ScalingDeps,
  result: Exclude<RevertResult, { kind: 'gone' }>,
): Promise<void> {
  const { revert } = result;
  const channel = revert.channel ?? services.config.slack.channels.announce;
  if (!channel) {
    services.log.info(
      { revertId: revert.id, result: result.kind },
      'revert settled; no channel to announce it in',
    );
    return;
  }
  const name = `${revert.team}/${revert.target}`;
  const what = revert.mode === 'hpaMinReplicas' ? `the HPA minimum of ${name}` : name;
  const fix = `scale ${revert.team} ${revert.fromReplicas} --target ${revert.target}${revert.mode === 'hpaMinReplicas' ? ' --hpa-min' : ''}`;
  let announcement: Announcement;
  if (result.kind === 'reverted') {
    announcement = {
      headline: `dpbot reverted ${what} ${result.change.from} → ${result.change.to}, as planned`,
      lines: [`The temporary change is over: ${temporaryChangeLine(revert, personToken)}.`],
      status: '',
    };
  } else if (result.kind === 'skipped') {
    announcement = {
      headline: `dpbot did not revert ${what} to ${revert.fromReplicas}`,
      lines: [
        `It is ${result.now ?? 'no longer managed by an HPA'} now, not the ${revert.toReplicas} set temporarily: someone changed it since, so dpbot leaves it as it is.`,
        `If ${revert.fromReplicas} is still wanted: ${fix}`,
      ],
      status: '',
    };
  } else {
    announcement = {
      headline: `dpbot could not revert ${what} to ${revert.fromReplicas}`,
      lines: [`${result.error}.`, `Restore it by hand: ${fix}`],
      status: '',
    };
  }
  let watch = false;
  if (result.kind === 'reverted') {
    // The revert's own announcement carries readiness, like any change.
    const target = services.config.teams
      .find((t) => t.name === revert.team)
      ?.targets.find((t) => t.name === revert.target);
    try {
      const state = target ? await requireKubernetes(services).read(workloadRef(target)) : undefined;
      if (state) {
        announcement.status = readinessStatus(
          revert.mode,
          revert.fromReplicas,
          state.ready,
          state.current,
          result.change.from,
        );
        watch = state.ready !== null;
      }
    } catch (error) {
      announcement.status = `Cannot read readiness: ${errorMessage(error)}`;
    }
  } else {
    services.log.warn(
      { revertId: revert.id, result: result.kind },
      `temporary change of ${name} not reverted`,
    );
  }
  try {
    const ref = await services.notifier.post(
      channel,
      announcementMessage(announcement),
      revert.threadTs ? { threadTs: revert.threadTs } : {},
    );
    if (watch)
      await watchReadiness(services, {
        team: revert.team,
        target: revert.target,
        mode: revert.mode,
        desired: revert.fromReplicas,
        ...(result.kind === 'reverted' ? { from: result.change.from } : {}),
        ref,
        channel,
        announcement,
      });
  } catch (error) {
    services.log.warn({ err: error, revertId: revert.id }, 'could not announce a settled revert');
  }
}

/**
 * Catches reverts with no job to run them (never queued by an older dpbot, or lost): pending,
 * overdue by a minute, with no job waiting, due or running. Runs every minute, once across
 * replicas; a revert that has a job is left alone, so it never gets two.
 */
export async function sweepReverts(services: ScalingDeps): Promise<number> {
  const overdue = await services.scaling.overdueReverts(new Date(Date.now() - 60_000), 50);
  let queued = 0;
  for (const revert of overdue) {
    if ((await services.jobs.live(QUEUES.revert, { revertId: revert.id })) > 0) continue;
    await scheduleRevert(services, revert);
    queued++;
  }
  return queued;
}
