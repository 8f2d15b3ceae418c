import { ONE_AT_A_TIME } from './jobs.ts';
import type { CommandPipeline } from './pipeline.ts';
import type { PipelineSweepDeps } from './pipelineDeps.ts';
import { QUEUES } from './queues.ts';

/**
 * Background work a capability runs in long-lived processes (the Slack server, the console):
 * job queue workers and schedules. One-shot CLI commands do not register them.
 */
export type JobRegistration<D = unknown> = (deps: D, pipeline: CommandPipeline) => Promise<void>;

/**
 * Forgets Slack request signatures once they are too old to be replayed anyway, and what
 * messages show once nobody has updated them for a day (a message still kept up to date is
 * updated far more often; one that is not costs at most one update more).
 */
export const pruneSlackRequests: JobRegistration<PipelineSweepDeps> = async (services) => {
  await services.jobs.work(
    QUEUES.pruneSlackRequests,
    async () => {
      await services.once.pruneDeliveries(new Date(Date.now() - 15 * 60_000));
      await services.once.pruneShownMessages(new Date(Date.now() - 24 * 60 * 60_000));
    },
    ONE_AT_A_TIME,
  );
  await services.jobs.schedule(QUEUES.pruneSlackRequests, '*/10 * * * *');
};

/** Expires unanswered confirmations every minute, once across all replicas. */
export const expireConfirmations: JobRegistration<PipelineSweepDeps> = async (services, pipeline) => {
  await services.jobs.work(
    QUEUES.expireConfirmations,
    async () => {
      await pipeline.expirePending();
    },
    ONE_AT_A_TIME,
  );
  await services.jobs.schedule(QUEUES.expireConfirmations, '* * * * *');
};

/**
 * How long an approved request may go without its outcome before it counts as never run: far
 * longer than running a command takes, so a run still under way is not ended under it.
 */
const APPROVED_RUN_GRACE_MS = 5 * 60_000;

/**
 * Ends approvals whose process stopped between settling them `approved` and running the command:
 * nothing ran, so the request gets its outcome (`not_run`, which also keeps the sweep from taking
 * it twice) and the requester is told to ask again. They are not run now: the people who asked and
 * approved are no longer waiting for it, and a change minutes late may no longer be wanted.
 */
export async function sweepApprovals(services: PipelineSweepDeps, now = new Date()): Promise<string[]> {
  const before = new Date(now.getTime() - APPROVED_RUN_GRACE_MS);
  const since = new Date(now.getTime() - 24 * 3_600_000);
  const ended: string[] = [];
  for (const action of await services.pending.approvedNotRun(since, before, 50)) {
    const error = `approved by ${action.decidedBy ?? 'an approver'}, but dpbot stopped before running it: nothing ran. Ask again: ${action.commandText}`;
    await services.audit.append({
      requestId: action.requestId,
      kind: 'outcome',
      entry: 'system',
      email: action.requesterEmail,
      slackUserId: action.requesterSlackId,
      channel: action.channel,
      command: action.command,
      outcome: 'not_run',
      error,
      detail: { pendingId: action.id, approvedBy: action.decidedBy },
    });
    ended.push(action.id);
    try {
      const message = { text: `Your request was ${error}`, visibility: 'in_channel' as const };
      if (action.messageChannel && action.messageTs)
        await services.notifier.post(action.messageChannel, message, { threadTs: action.messageTs });
      else
        await services.notifier.direct(
          { email: action.requesterEmail, slackUserId: action.requesterSlackId },
          message,
        );
    } catch (err) {
      services.log.warn(
        { err, pendingId: action.id },
        'could not tell the requester an approval was not run',
      );
    }
  }
  if (ended.length) services.log.warn({ pending: ended }, 'approved requests that never ran were ended');
  return ended;
}

/** Every minute, once across replicas: approved requests left unrun by a stopped process. */
export const sweepApprovedRequests: JobRegistration<PipelineSweepDeps> = async (services) => {
  await services.jobs.work(
    QUEUES.sweepApprovals,
    async () => {
      await sweepApprovals(services);
    },
    ONE_AT_A_TIME,
  );
  await services.jobs.schedule(QUEUES.sweepApprovals, '* * * * *');
};
