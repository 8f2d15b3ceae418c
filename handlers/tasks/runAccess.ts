import { z } from 'zod';
import { NotAllowedError, NotFoundError } from '../../core/errors.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import { hasOwnCheck, TASKS_RUN, taskResource } from './catalog.ts';
import type { TasksDeps } from './deps.ts';
import type { TaskRun } from './stores/taskRunStore.ts';

/** `12`, `#12`, or the workflow's name. */
export const runRef = z
  .string({ error: 'which run? give its number, as in "task status 12" ("task runs" lists them)' })
  .max(253)
  .regex(/^(#?\d{1,10}|[a-z0-9][a-z0-9.-]{0,252})$/, {
    error: 'expected a run number such as 12 (or its workflow name); "task runs" lists them',
  });

export async function findRun(ctx: CommandContext<TasksDeps>, ref: string): Promise<TaskRun> {
  const run = await ctx.deps.taskRuns.find(ref);
  if (!run) throw new NotFoundError(`there is no task run ${ref}; "task runs" lists recent ones`);
  return run;
}

/**
 * Who may stop a run or read its logs: whoever started it, and whoever may run that task with the
 * same parameters.
 */
export function mayControl(ctx: CommandContext<TasksDeps>, run: TaskRun): boolean {
  if (run.requesterEmail === ctx.caller.email) return true;
  if (!ctx.may(TASKS_RUN, `task:${run.task}`)) return false;
  const task = ctx.deps.config.tasks.find((t) => t.name === run.task);
  if (!task || !hasOwnCheck(task)) return true;
  return ctx.may(task.action, taskResource(task, run.params));
}

export function requireControl(ctx: CommandContext<TasksDeps>, run: TaskRun, what: string): void {
  if (mayControl(ctx, run)) return;
  throw new NotAllowedError(
    `only ${run.requesterEmail}, who started ${run.task} #${run.id}, or someone who may run ${run.task} (tasks.run on task:${run.task}) may ${what}. Ask ${ctx.deps.config.access.adminContact} for access.`,
  );
}
