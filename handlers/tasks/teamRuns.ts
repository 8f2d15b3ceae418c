import { taskResource } from './catalog.ts';
import type { TasksSettings } from './deps.ts';
import type { TaskRun, TaskRunStore } from './stores/taskRunStore.ts';

/** A task run as another capability sees it (the `changes` timeline): what ran, for whom, how it went. */
export interface TeamTaskRun {
  id: number;
  task: string;
  requesterEmail: string;
  phase: string;
  namespace: string;
  workflowName: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/**
 * The task runs since `since` that touched `team`: the task's own resource, its parameters filled
 * in, is `team:<team>` (compact-table's `team:{team}`), or a parameter of type team names it.
 * Newest first, at most `limit` runs read.
 */
export async function taskRunsOfTeam(
  deps: { taskRuns: Pick<TaskRunStore, 'recent'>; config: Pick<TasksSettings, 'tasks'> },
  team: string,
  since: Date,
  limit: number,
): Promise<TeamTaskRun[]> {
  const runs = await deps.taskRuns.recent({ since, limit });
  const tasks = new Map(deps.config.tasks.map((t) => [t.name, t]));
  const touches = (run: TaskRun) => {
    const task = tasks.get(run.task);
    if (!task) return false;
    if (taskResource(task, run.params) === `team:${team}`) return true;
    return task.parameters.some((p) => p.type === 'team' && run.params[p.name] === team);
  };
  return runs.filter(touches).map((r) => ({
    id: r.id,
    task: r.task,
    requesterEmail: r.requesterEmail,
    phase: r.phase,
    namespace: r.namespace,
    workflowName: r.workflowName,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  }));
}
