import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { InputError, NotAllowedError } from '../../../core/errors.ts';
import { blocks } from '../../../pipeline/message.ts';
import { escapeMrkdwn, lineSections } from '../../../pipeline/views/common.ts';
import { andMore, pageButtons, pageOf } from '../../../pipeline/views/paging.ts';
import { findTask, mayRun, valuesCommand } from '../catalog.ts';
import { TASK_NAME } from '../config.ts';
import { defineCommand } from '../deps.ts';

const USAGE = 'task values <task> <parameter> [page=N]';
/** Values per page: one line each, a few sections of a message. */
export const VALUES_PER_PAGE = 100;

/** `task values deploy region`: every choice of an enum or team parameter, a page at a time. */
export const taskValues = defineCommand({
  name: 'task values',
  summary: "List the values a task's parameter accepts, when there are too many to show elsewhere",
  usage: USAGE,
  examples: ['task values backfill mode'],
  params: { positionals: ['task', 'parameter'], keyValues: ['page'] },
  args: z.object({
    task: z
      .string({ error: 'which task? "task list" shows the tasks you may run' })
      .max(64)
      .regex(TASK_NAME, { error: 'expected a task name such as backfill; "task list" shows them' }),
    parameter: z.string({ error: 'which parameter? "task list" shows them' }).min(1).max(64),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
  }),
  run: (a, ctx) => {
    const task = findTask(ctx.services.config, a.task);
    if (!mayRun(ctx, task))
      throw new NotAllowedError(
        `you may not run ${task.name}. Ask ${ctx.services.config.access.adminContact} for access.`,
      );
    const p = task.parameters.find((x) => x.name === a.parameter);
    const names = task.parameters.map((x) => x.name);
    if (!p)
      throw new InputError(
        `${task.name} has no parameter "${a.parameter}"${names.length ? ` (parameters: ${andMore(names, 20)})` : ' (it takes none)'}`,
        USAGE,
      );
    const values = p.type === 'bool' ? ['true', 'false'] : (p.values ?? []);
    if (values.length === 0) {
      const text = `${task.name} ${p.name} takes any ${p.type === 'team' ? 'team name' : `${p.type} value`}; it has no list of values.`;
      return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
    }
    const page = pageOf(values, a.page, VALUES_PER_PAGE);
    if (a.page > page.pages && ctx.entry !== 'button')
      throw new InputError(
        `page ${a.page} is past the last page (${page.pages}) of ${values.length} value(s)`,
        USAGE,
      );
    const command = valuesCommand(task, p);
    const first = (page.page - 1) * VALUES_PER_PAGE + 1;
    const range =
      page.pages > 1
        ? ` · ${first}–${first + page.items.length - 1}, page ${page.page} of ${page.pages}`
        : '';
    const title = `${task.name} ${p.name}: ${values.length} value(s)${range}`;
    const more = page.after > 0 ? `${page.after} more: ${command} page=${page.page + 1}` : '';
    const navigation = pageButtons(page, (n) => `${command} page=${n}`);
    return {
      text: [title, ...page.items, ...(more ? [more] : [])].join('\n'),
      blocks: blocks(
        Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
        ...lineSections(page.items.map((v) => `• ${escapeMrkdwn(v)}`)),
        Blocks.Context().elements(
          more
            ? escapeMrkdwn(more)
            : `${Md.codeInline(`task run ${task.name} ${p.name}=<value>`)} runs it with one of them`,
        ),
        navigation.length > 0 && Blocks.Actions().elements(...navigation),
      ),
    };
  },
});
