import type { Command } from '../../bot/pipeline/defineCommand.ts';
import type { WorkerRegistration } from '../../bot/workers.ts';
import { taskCancel } from './taskCancel.ts';
import { taskList } from './taskList.ts';
import { taskLogs } from './taskLogs.ts';
import { taskRun } from './taskRun.ts';
import { taskRuns } from './taskRuns.ts';
import { taskStatus } from './taskStatus.ts';
import { taskWorkers } from './taskWatcher.ts';

/** The ops-task capability: `task list|run|status|cancel|logs|runs`. */
export const taskCommands: readonly Command[] = [
  taskList,
  taskRun,
  taskStatus,
  taskCancel,
  taskLogs,
  taskRuns,
];

export const taskWorkerRegistrations: readonly WorkerRegistration[] = [taskWorkers];
