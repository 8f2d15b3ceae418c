import { Blocks, Elements, Md } from 'slack-block-builder';
import { z } from 'zod';
import { InputError, NotAllowedError } from '../../../core/errors.ts';
import { blocks } from '../../../pipeline/message.ts';
import { codeText, escapeMrkdwn, RUN_ACTION } from '../../../pipeline/views/common.ts';
import { clipText, pageButtons, pageOf } from '../../../pipeline/views/paging.ts';
import { findTask, mayRun, taskNamed, taskUsage } from '../catalog.ts';
import { TASK_NAME } from '../config.ts';
import { defineCommand } from '../deps.ts';
import { findParameter, taskMessage, valuesMessage } from '../valuesMessage.ts';

const USAGE = 'task list [task [parameter]] [page=N]';
/** Tasks per page: a section each, beside a header, a footer and the page buttons (50 blocks at most). */
export const TASKS_PER_PAGE = 20;

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
    const footer = `${codeText('task run <task>')} with no parameters opens a form.${hidden > 0 ? ` ${hidden} more task(s) need access you do not have.` : ''}`;
    if (mine.length === 0) {
      const text = all.length
        ? `There are ${all.length} task(s), but none you may run. Ask ${ctx.deps.config.access.adminContact} for access.`
        : 'No tasks are configured (tasks: in the configuration).';
      return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
    }
    const page = pageOf(mine, a.page, TASKS_PER_PAGE);
    if (a.page > page.pages && ctx.entry !== 'button')
      throw new InputError(
        `page ${a.page} is past the last page (${page.pages}) of ${mine.length} task(s)`,
        USAGE,
      );
    const paged = page.pages > 1;
    const title = paged
      ? `Tasks you may run: ${mine.length} · page ${page.page} of ${page.pages}`
      : 'Tasks you may run';
    const more = page.after > 0 ? `${page.after} more: ${codeText(`task list page=${page.page + 1}`)}` : '';
    const sections = page.items.map((t) =>
      Blocks.Section({
        text: `${Md.bold(escapeMrkdwn(t.name))} — ${escapeMrkdwn(t.description)}${t.confirm ? ' (asks to confirm)' : ''}\n${codeText(clipText(taskUsage(t), 2000))}`,
      }).accessory(Elements.Button({ text: 'Run', actionId: RUN_ACTION, value: `task run ${t.name}` })),
    );
    const navigation = pageButtons(page, (n) => `task list page=${n}`);
    return {
      text: [
        `${title}:`,
        ...page.items.map((t) => `${taskUsage(t)} — ${t.description}`),
        ...(page.after > 0 ? [`${page.after} more: task list page=${page.page + 1}`] : []),
      ].join('\n'),
      blocks: blocks(
        Blocks.Header({ text: title }),
        ...sections,
        Blocks.Context().elements(more ? `${more} · ${footer}` : footer),
        navigation.length > 0 && Blocks.Actions().elements(...navigation),
      ),
    };
  },
});
