import { formatDuration } from '../../core/config/duration.ts';
import { errorMessage } from '../../core/errors.ts';
import { workloadRef } from '../../integrations/kubernetes/kubernetes.ts';
import type { MessageRef } from '../../pipeline/notifier.ts';
import type { ScalingDeps } from './deps.ts';
import { type Announcement, describePods, readinessStatus } from './messages.ts';
import type { ScaleMode } from './plan.ts';
import { QUEUES } from './queues.ts';
import { requireKubernetes } from './teams.ts';
import { announcementMessage } from './views.ts';

/**
 * One look at a target's pods after a change, as a job: each look queues the next one a poll
 * interval later until the pods are ready, the deadline passes, or the count changes again. Kept
 * in the job queue rather than a loop in the request, so a restart does not lose it; bounded by
 * the deadline; the message is only updated when what it says changes.
 */
export interface ReadinessCheck {
  team: string;
  target: string;
  mode: ScaleMode;
  desired: number;
  /** The count the change replaced: a scale-down is told as pods stopping (absent in older jobs). */
  from?: number;
  /** The announcement to keep current; null when the reply had no Slack coordinates (the console). */
  ref: MessageRef | null;
  channel: string | null;
  announcement: Announcement;
  deadline: string;
  /** How long it watches in all (for the message; the deadline is what counts). */
  timeoutMs: number;
  polls: number;
}

export async function watchReadiness(
  services: ScalingDeps,
  check: Omit<ReadinessCheck, 'deadline' | 'timeoutMs' | 'polls'>,
): Promise<void> {
  const settings = services.config.kubernetes;
  const now = Date.now();
  await services.jobs.send<ReadinessCheck>(
    QUEUES.readiness,
    {
      ...check,
      deadline: new Date(now + settings.readinessTimeout).toISOString(),
      timeoutMs: settings.readinessTimeout,
      polls: 0,
    },
    { startAfter: new Date(now + settings.readinessPollInterval) },
  );
}

async function publish(
  services: ScalingDeps,
  check: ReadinessCheck,
  status: string,
): Promise<MessageRef | null> {
  const message = announcementMessage({ ...check.announcement, status });
  try {
    if (check.ref) {
      return await services.notifier.update(check.ref, message);
    }
    if (!check.channel) return null;
    // No message to update (the reply had no coordinates): post one, and update that from now on.
    return await services.notifier.post(check.channel, message);
  } catch (error) {
    services.log.warn(
      { err: error, team: check.team, target: check.target },
      'could not update the readiness message',
    );
    return check.ref;
  }
}

export async function checkReadiness(services: ScalingDeps, check: ReadinessCheck): Promise<void> {
  const team = services.config.teams.find((t) => t.name === check.team);
  const target = team?.targets.find((t) => t.name === check.target);
  if (!team || !target) return;
  const k8s = requireKubernetes(services);
  const ref = workloadRef(target);
  const timedOut = Date.now() >= Date.parse(check.deadline);
  let status: string;
  let done = false;
  try {
    const state = await k8s.read(ref);
    const desired = check.mode === 'hpaMinReplicas' ? check.desired : state.replicas;
    if (check.mode === 'replicas' && state.replicas !== check.desired) {
      status = `No longer watching: the count is now ${state.replicas} (changed again since).`;
      done = true;
    } else if (state.ready === null) {
      status = readinessStatus(check.mode, desired, null, null);
      done = true;
    } else {
      done =
        check.mode === 'hpaMinReplicas'
          ? state.ready >= check.desired
          : state.ready === desired && (state.current ?? desired) === desired;
      status = readinessStatus(check.mode, desired, state.ready, state.current, check.from);
      if (!done && timedOut) {
        let pods = 'dpbot could not list them';
        if (state.selector) {
          try {
            pods = describePods(await k8s.pods(ref, state.selector));
          } catch (error) {
            pods = `dpbot could not list them: ${errorMessage(error)}`;
          }
        }
        status = `Readiness timed out after ${formatDuration(check.timeoutMs)}: ${status}. Pods report: ${pods}`;
      }
    }
  } catch (error) {
    status = `Cannot read readiness: ${errorMessage(error)}`;
    if (timedOut) status = `Readiness timed out after ${formatDuration(check.timeoutMs)}. ${status}`;
  }
  const previous = check.announcement.status;
  const posted = status !== previous ? await publish(services, check, status) : check.ref;
  if (done || timedOut) return;
  await services.jobs.send<ReadinessCheck>(
    QUEUES.readiness,
    { ...check, ref: posted, announcement: { ...check.announcement, status }, polls: check.polls + 1 },
    { startAfter: new Date(Date.now() + services.config.kubernetes.readinessPollInterval) },
  );
}
