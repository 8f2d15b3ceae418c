import { z } from 'zod';
import { InputError } from '../../../core/errors.ts';
import { TASK_NAME } from '../config.ts';
import { defineCommand } from '../deps.ts';
import { runListMessage } from '../views/runs.ts';

const USAGE = 'task runs [task] [user] [limit=<n>]';

export const taskRuns = defineCommand({
  name: 'task runs',
  summary: 'List recent task runs, by task and by who started them',
  usage: USAGE,
  examples: ['task runs', 'task runs backfill', 'task runs ada@example.com', 'task runs backfill me'],
  params: { positionals: ['filters...'], keyValues: ['task', 'user', 'limit'] },
  args: z.object({
    filters: z.array(z.string().max(254)).max(2).optional(),
    task: z.string().regex(TASK_NAME, { error: 'expected a task name' }).optional(),
    user: z.email().optional(),
    limit: z.coerce.number().int().min(1).max(50).default(15),
  }),
  run: async (a, ctx) => {
    let { task, user } = a;
    for (const word of a.filters ?? []) {
      if (word === 'me' && !user) user = ctx.caller.email;
      else if (word.includes('@') && !user) {
        if (!z.email().safeParse(word).success)
          throw new InputError(`"${word}" is not an e-mail address`, USAGE);
        user = word;
      } else if (TASK_NAME.test(word) && !task) task = word;
      else
        throw new InputError(
          `cannot tell what "${word}" filters by (a task name, an e-mail, or "me")`,
          USAGE,
        );
    }
    const rows = await ctx.deps.taskRuns.recent({ task, email: user, limit: a.limit });
    const filters = [task && `task ${task}`, user && `by ${user}`].filter(Boolean).join(', ');
    return runListMessage(filters, rows, ctx.deps.now());
  },
});
