import type { Tx } from '../../../db/connect.ts';
import type { AuditEntry } from '../../../db/stores/auditStore.ts';
import type { QueueSettings } from '../../../pipeline/jobs.ts';
import type { ReleaseDeps } from '../deps.ts';
import { QUEUES } from '../queues.ts';
import type { NoticeBatch, NoticeKind } from '../stores/noticeStore.ts';
import type { ReleaseSnapshot } from '../stores/releaseStore.ts';

/**
 * A notice job sends to GitHub, Jira and Slack, each behind its own limits (Octokit's throttling,
 * the Slack budget): a few batches at once, and a failing system retried with backoff for a while
 * before the rows say what failed.
 */
export const NOTICE_SETTINGS: QueueSettings = {
  retryLimit: 5,
  retryDelaySeconds: 30,
  // A batch of a big release waits on GitHub's write pace; its heartbeat, not this, says it is alive.
  expireInSeconds: 3600,
  heartbeatSeconds: 20,
  concurrency: 2,
};

/** The job of one batch: its rows, not the job, say what is left to send. */
export type NoticeJob = NoticeBatch;

/** Targets of a service's "running in production" notices, from the release's pull requests. */
export function runningTargets(
  services: Pick<ReleaseDeps, 'jira' | 'releaseTracker'>,
  snapshot: ReleaseSnapshot,
  service: string,
  subscribers: readonly string[],
): string[] {
  const prs = snapshot.prs.filter((p) => p.services.includes(service));
  const jira = services.jira && services.releaseTracker;
  return [
    ...prs.map((p) => `github:${p.repository}#${p.number}`),
    ...(jira ? [...new Set(prs.flatMap((p) => p.jiraKeys))].map((k) => `jira:${k}`) : []),
    ...[...new Set(prs.flatMap((p) => (p.author ? [p.author] : [])))].map((a) => `author:${a}`),
    ...subscribers.map((email) => `subscriber:${email}`),
  ];
}

async function queue(
  services: ReleaseDeps,
  tx: Tx,
  batch: NoticeBatch,
  targets: readonly string[],
): Promise<number> {
  const added = await services.notices.within(tx).add(batch, targets);
  // Rows already written (a second look, another replica) have their job already: none is sent.
  if (added > 0)
    await services.jobs.send<NoticeJob>(QUEUES.notices, batch, { tx, settings: NOTICE_SETTINGS });
  return added;
}

/**
 * In the transaction that records a service done: its notices and the job that sends them. A
 * second look, or another replica, finds the rows written and queues nothing.
 */
export async function queueRunningNotices(
  services: ReleaseDeps,
  tx: Tx,
  snapshot: ReleaseSnapshot,
  service: string,
): Promise<number> {
  if (!services.config.release.notices.enabled) return 0;
  const subscribers = (await services.notices.within(tx).subscribers(service)).map((s) => s.email);
  const batch = { releaseId: snapshot.release.id, service, kind: 'running' as NoticeKind };
  return queue(services, tx, batch, runningTargets(services, snapshot, service, subscribers));
}

/**
 * In the transaction that records a service rolled back: the "rolled back" notice to every target
 * its "running" notices had (not those skipped or failed), once.
 */
export async function queueRolledBackNotices(
  services: ReleaseDeps,
  tx: Tx,
  releaseId: number,
  service: string,
): Promise<number> {
  if (!services.config.release.notices.enabled) return 0;
  const running = await services.notices.within(tx).list({ releaseId, service, kind: 'running' });
  const targets = running.filter((n) => n.state !== 'skipped' && n.state !== 'failed').map((n) => n.target);
  return queue(services, tx, { releaseId, service, kind: 'rolled_back' }, targets);
}

/** A queued notice this old has outlived every retry of its job (they span about fifteen minutes). */
const STALLED_AFTER_MS = 30 * 60_000;

/**
 * Gives a batch whose notices are still queued long after they were written, and that has no job
 * waiting or running, a new job (run by the release sweep, once a minute across replicas); the
 * rows, not the jobs, say what is left, so a batch sent twice sends nothing twice.
 */
export async function sweepNotices(services: ReleaseDeps): Promise<NoticeBatch[]> {
  const before = new Date(services.now().getTime() - STALLED_AFTER_MS);
  const resumed: NoticeBatch[] = [];
  for (const batch of await services.notices.stalled(before)) {
    if ((await services.jobs.live(QUEUES.notices, batch)) > 0) continue;
    await services.jobs.send<NoticeJob>(QUEUES.notices, batch, { settings: NOTICE_SETTINGS });
    await services.audit.append(noticeEvent(batch, 'notices_resumed', { detail: { kind: batch.kind } }));
    resumed.push(batch);
  }
  return resumed;
}

/** A batch's audit row: dpbot's own event, under the ship or rollback that queued the notices. */
export function noticeEvent(
  batch: NoticeBatch,
  outcome: string,
  more: Pick<AuditEntry, 'error' | 'detail'>,
): AuditEntry {
  return {
    requestId: `release-${batch.releaseId}`,
    kind: 'event',
    entry: 'system',
    command: batch.kind === 'running' ? 'release ship' : 'release rollback',
    action: batch.kind === 'running' ? 'release.ship' : 'release.rollback',
    resource: `service:${batch.service}`,
    outcome,
    ...more,
  };
}
