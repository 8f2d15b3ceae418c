import type { AuditEntry } from '../../db/stores/auditStore.ts';
import type { QueueSettings } from '../../pipeline/jobs.ts';
import type { TasksDeps } from './deps.ts';
import { QUEUES } from './queues.ts';
import type { TaskRun } from './stores/taskRunStore.ts';

/**
 * A run event's audit row that could not be written when it happened. The event cannot be undone,
 * so the row is written late rather than never: pg-boss tries again with backoff from 15 s, for
 * about an hour, then keeps the job as failed (and the log has the error).
 */
const AUDIT_SETTINGS: QueueSettings = {
  retryLimit: 8,
  retryDelaySeconds: 15,
  expireInSeconds: 60,
};

interface AuditJob {
  entry: AuditEntry;
}

/**
 * A background audit row about a run, joined to its request. The event has happened, so when the
 * audit log cannot take the row now it is held by the audit outbox (kept in the data folder, and
 * written with `recordedLate` as soon as the database answers): the job queue lives in the same
 * database, so it is down exactly when the row needs somewhere to wait. Only when the outbox
 * cannot hold it (full, or not there) is it queued (QUEUES.audit) with the time it happened;
 * if even that fails, the error goes up to the job at hand, which pg-boss records as failed.
 */
export async function auditRun(
  services: Pick<TasksDeps, 'audit' | 'jobs' | 'log' | 'now'>,
  run: TaskRun,
  outcome: string,
  detail: Record<string, unknown>,
  error?: string,
): Promise<void> {
  const about = { runId: run.id, task: run.task, workflow: run.workflowName, namespace: run.namespace };
  const entry: AuditEntry = {
    requestId: run.requestId,
    kind: 'event',
    entry: 'system',
    email: run.requesterEmail,
    slackUserId: run.requesterSlackId,
    channel: run.channel,
    command: 'task run',
    action: 'tasks.run',
    resource: `task:${run.task}`,
    outcome,
    error: error ?? null,
    detail: { ...about, ...detail },
  };
  const occurredAt = services.now().toISOString();
  try {
    const recorded = await services.audit.appendOrHold(entry);
    if ('written' in recorded) return;
    if ('held' in recorded) {
      services.log.warn(
        { runId: run.id, outcome },
        'the audit log cannot take a task run event now; it is held and written when the database answers',
      );
      return;
    }
    services.log.error(
      { runId: run.id, outcome },
      'the audit outbox is full; the task run event is queued to be written again',
    );
  } catch (auditError) {
    services.log.error(
      { err: auditError, runId: run.id, outcome },
      'could not audit a task run event; it is queued to be written again',
    );
  }
  await services.jobs.send<AuditJob>(
    QUEUES.audit,
    { entry: { ...entry, detail: { ...about, ...detail, occurredAt } } },
    { settings: AUDIT_SETTINGS },
  );
}

/** Writes the queued rows; a failed append throws, so pg-boss tries the job again. */
export async function workAuditRetries(services: Pick<TasksDeps, 'jobs' | 'audit'>): Promise<void> {
  await services.jobs.work<AuditJob>(
    QUEUES.audit,
    async (data) => {
      await services.audit.append(data.entry);
    },
    AUDIT_SETTINGS,
  );
}
