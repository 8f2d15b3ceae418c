import type { TasksDeps } from '../../handlers/tasks/index.ts';
import type { Services } from '../services.ts';

/** What the tasks capability gets of everything createApp built. */
export function tasksDeps(services: Services): TasksDeps {
  return {
    config: services.config,
    taskRuns: services.taskRuns,
    audit: services.audit,
    jobs: services.jobs,
    notifier: services.notifier,
    log: services.log,
    now: services.now,
    argo: services.argo,
    jira: services.jira,
    datasetCatalog: services.datasets,
  };
}
