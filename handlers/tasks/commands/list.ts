import { z } from 'zod';
import { InputError, NotAllowedError } from '../../../core/errors.ts';
import { findParameter, findTask, mayRun, taskNamed } from '../catalog.ts';
import { TASK_NAME } from '../config.ts';
import { defineCommand } from '../deps.ts';
import {
  noTasksMessage,
  taskListMessage,
  taskListPage,
  taskMessage,
  valuesMessage,
} from '../views/taskList.ts';

const USAGE = 'task list [task [parameter]] [page=N]';

export const taskList = defineCommand({
  name: 'task list',
  summary: 'List the ops tasks you may run, with their parameters; one task, or the values of one parameter',
  usage: USAGE,
  examples: ['task list', 'task list backfill', 'task list backfill mode'],
  params: { positionals: ['task', 'parameter'], keyValues: ['page'] },
  args: z.object({
    task: z
      .string()
      .max(64)
      .regex(TASK_NAME, { error: 'expected a task name such as backfill; "task list" shows them' })
      .optional(),
    parameter: z.string().min(1).max(64).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
  }),
  names: (a, ctx) => (a.task === undefined ? [] : [taskNamed(ctx.deps.config, a.task)]),
  run: (a, ctx) => {
    if (a.task !== undefined) {
      const task = findTask(ctx.deps.config, a.task);
      if (!mayRun(ctx, task))
        throw new NotAllowedError(
          `you may not run ${task.name}. Ask ${ctx.deps.config.access.adminContact} for access.`,
        );
      if (a.parameter === undefined) return taskMessage(task);
      return valuesMessage(task, findParameter(task, a.parameter, USAGE), a.page, {
        usage: USAGE,
        button: ctx.entry === 'button',
      });
    }
    const all = ctx.deps.config.tasks;
    const mine = all.filter((t) => mayRun(ctx, t));
    const hidden = all.length - mine.length;
    if (mine.length === 0) {
      const text = all.length
        ? `There are ${all.length} task(s), but none you may run. Ask ${ctx.deps.config.access.adminContact} for access.`
        : 'No tasks are configured (tasks: in the configuration).';
      return noTasksMessage(text);
    }
    const page = taskListPage(mine, a.page);
    if (a.page > page.pages && ctx.entry !== 'button')
      throw new InputError(
        `page ${a.page} is past the last page (${page.pages}) of ${mine.length} task(s)`,
        USAGE,
      );
    return taskListMessage(page, mine.length, hidden);
  },
});
