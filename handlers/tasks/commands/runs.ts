import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { InputError } from '../../../core/errors.ts';
import { blocks } from '../../../pipeline/message.ts';
import { withMentions } from '../../../pipeline/people.ts';
import { codeText, escapeMrkdwn, lineSections } from '../../../pipeline/views/common.ts';
import { TASK_NAME } from '../config.ts';
import { defineCommand } from '../deps.ts';
import { runLine } from '../views.ts';

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
    const title = `Task runs${filters ? ` (${filters})` : ''}: ${rows.length} most recent`;
    const now = ctx.deps.now();
    const lines = rows.map((r) => runLine(r, now));
    if (rows.length === 0) {
      const text = `No task runs${filters ? ` (${filters})` : ''} yet.`;
      return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
    }
    return {
      // Escaped whole: with the requesters' mentions in it, Slack reads the fallback as mrkdwn.
      text: withMentions(escapeMrkdwn([title, ...lines].join('\n'))),
      blocks: blocks(
        Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
        ...lineSections(lines.map((l) => withMentions(escapeMrkdwn(l)))),
        Blocks.Context().elements(`${codeText('task status <n>')} for one run`),
      ),
    };
  },
});
