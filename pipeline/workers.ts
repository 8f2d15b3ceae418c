import type { CommandPipeline } from './pipeline.ts';
import type { PipelineSweepDeps } from './pipelineDeps.ts';

/**
 * Background work a capability runs in long-lived processes (the Slack server, the console):
 * job queue workers and schedules. One-shot CLI commands do not register them.
 */
export type WorkerRegistration<D = unknown> = (services: D, pipeline: CommandPipeline) => Promise<void>;

export const EXPIRE_CONFIRMATIONS_QUEUE = 'dpbot.expire-confirmations';

export const PRUNE_SLACK_REQUESTS_QUEUE = 'dpbot.prune-slack-requests';

/** Forgets Slack request signatures once they are too old to be replayed anyway. */
export const pruneSlackRequests: WorkerRegistration<PipelineSweepDeps> = async (services) => {
  await services.jobs.work(PRUNE_SLACK_REQUESTS_QUEUE, async () => {
    await services.once.pruneDeliveries(new Date(Date.now() - 15 * 60_000));
  });
  await services.jobs.schedule(PRUNE_SLACK_REQUESTS_QUEUE, '*/10 * * * *');
};

/** Expires unanswered confirmations every minute, once across all replicas. */
export const expireConfirmations: WorkerRegistration<PipelineSweepDeps> = async (services, pipeline) => {
  await services.jobs.work(EXPIRE_CONFIRMATIONS_QUEUE, async () => {
    await pipeline.expirePending();
  });
  await services.jobs.schedule(EXPIRE_CONFIRMATIONS_QUEUE, '* * * * *');
};
