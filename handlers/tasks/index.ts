import { defineCapability } from '../../pipeline/capability.ts';
import { taskActions } from './catalog.ts';
import { taskCancel } from './commands/cancel.ts';
import { taskList } from './commands/list.ts';
import { taskLogs } from './commands/logs.ts';
import { taskRun } from './commands/run.ts';
import { taskRuns } from './commands/runs.ts';
import { taskStatus } from './commands/status.ts';
import type { TasksDeps } from './deps.ts';
import { taskJobs } from './watcher.ts';

/** The ops-task capability: `task list|run|status|cancel|logs|runs`, and the run watcher. */
export const tasksCapability = defineCapability<TasksDeps>({
  name: 'tasks',
  commands: [taskList, taskRun, taskStatus, taskCancel, taskLogs, taskRuns],
  jobs: [taskJobs],
  // Tasks may name their own action; policy files granting it must find it in the catalog.
  actions: (deps) => taskActions(deps.config),
});

// What the composition root (app/) needs beside the capability: the face is all it may import.
export { TASKS_RUN, taskActions, withTeamChoices } from './catalog.ts';
export { TASK_NAME } from './config.ts';
export type { TasksDeps } from './deps.ts';
export { sampleValue } from './parameters.ts';
// The composition root builds the store (it owns the database); it gets the class here, not from the file.
export { PgTaskRunStore, type TaskRunStore } from './stores/taskRunStore.ts';
// The `changes` timeline reads a team's runs through this, not through the store.
export { type TeamTaskRun, taskRunsOfTeam } from './teamRuns.ts';
export { taskModal } from './views/form.ts';
