import type { JobRegistration } from '../../pipeline/housekeepingJobs.ts';
import { ONE_AT_A_TIME } from '../../pipeline/jobs.ts';
import type { DatasetsDeps } from './deps.ts';
import { sweepLateDatasets } from './lateAlerts.ts';
import { QUEUES } from './queues.ts';

/** The sweep on its cron schedule, once per tick across replicas. */
export const lateAlertJobs: JobRegistration<DatasetsDeps> = async (deps) => {
  const alerts = deps.lateAlerts;
  const config = deps.config.datasets.lateAlerts;
  if (!alerts) return;
  if (!config.enabled) {
    // A schedule left from when alerts were on would keep firing for nothing.
    if ((await alerts.jobs.scheduled(QUEUES.lateSweep)).length > 0)
      await alerts.jobs.unschedule(QUEUES.lateSweep);
    return;
  }
  await alerts.jobs.work(
    QUEUES.lateSweep,
    async () => {
      const done = await sweepLateDatasets(deps);
      if (done.posted + done.resolved + done.failed > 0) alerts.log.info(done, 'late datasets swept');
    },
    ONE_AT_A_TIME,
  );
  await alerts.jobs.schedule(QUEUES.lateSweep, config.schedule);
};
