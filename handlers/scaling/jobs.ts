import type { JobRegistration } from '../../pipeline/housekeepingJobs.ts';
import { ONE_AT_A_TIME } from '../../pipeline/jobs.ts';
import type { ScalingDeps } from './deps.ts';
import { QUEUES } from './queues.ts';
import { checkReadiness, type ReadinessCheck } from './readiness.ts';
import { type RevertJob, revertQueueSettings, runRevert, sweepReverts } from './reverts.ts';

/**
 * The background work of worker scaling: timed reverts (delayed jobs, retried with backoff),
 * readiness watchers (a chain of short jobs), and a sweep every minute for reverts whose job was
 * never queued. Each job runs on one replica.
 */
export const scalingJobs: JobRegistration<ScalingDeps> = async (services: ScalingDeps) => {
  if (services.config.teams.length === 0) return;
  await services.jobs.work<RevertJob>(
    QUEUES.revert,
    (data, job) =>
      runRevert(services, data.revertId, {
        retryCount: job.retryCount,
        retryLimit: services.config.kubernetes.revertRetries,
      }),
    revertQueueSettings(services),
  );
  await services.jobs.work<ReadinessCheck>(QUEUES.readiness, (data) => checkReadiness(services, data), {
    retryLimit: 2,
    retryDelaySeconds: 5,
    expireInSeconds: 120,
  });
  await services.jobs.work(
    QUEUES.revertSweep,
    async () => {
      const queued = await sweepReverts(services);
      if (queued > 0) services.log.warn({ queued }, 'queued reverts whose job had been lost');
    },
    ONE_AT_A_TIME,
  );
  await services.jobs.schedule(QUEUES.revertSweep, '* * * * *');
};
