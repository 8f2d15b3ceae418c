import { Blocks, Elements, Md } from 'slack-block-builder';
import { z } from 'zod';
import { blocks } from '../../../pipeline/message.ts';
import { escapeMrkdwn, RUN_ACTION } from '../../../pipeline/views/common.ts';
import { mayRun, taskUsage } from '../catalog.ts';
import { defineCommand } from '../deps.ts';

/** Tasks shown at most (a few blocks each; Slack allows 50 blocks per message). */
const SHOWN = 40;

export const taskList = defineCommand({
  name: 'task list',
  summary: 'List the ops tasks you may run, with their parameters',
  usage: 'task list',
  args: z.object({}),
  run: (_a, ctx) => {
    const all = ctx.services.config.tasks;
    const mine = all.filter((t) => mayRun(ctx, t));
    const hidden = all.length - mine.length;
    const footer = `${Md.codeInline('task run <task>')} with no parameters opens a form.${hidden > 0 ? ` ${hidden} more task(s) need access you do not have.` : ''}`;
    if (mine.length === 0) {
      const text = all.length
        ? `There are ${all.length} task(s), but none you may run. Ask ${ctx.services.config.access.adminContact} for access.`
        : 'No tasks are configured (tasks: in the configuration).';
      return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
    }
    const sections = mine.slice(0, SHOWN).map((t) =>
      Blocks.Section({
        text: `${Md.bold(escapeMrkdwn(t.name))} — ${escapeMrkdwn(t.description)}${t.confirm ? ' (asks to confirm)' : ''}\n${Md.codeInline(escapeMrkdwn(taskUsage(t)))}`,
      }).accessory(Elements.Button({ text: 'Run', actionId: RUN_ACTION, value: `task run ${t.name}` })),
    );
    return {
      text: ['Tasks you may run:', ...mine.map((t) => `${taskUsage(t)} — ${t.description}`)].join('\n'),
      blocks: blocks(
        Blocks.Header({ text: 'Tasks you may run' }),
        ...sections,
        mine.length > SHOWN && Blocks.Section({ text: `_(${mine.length - SHOWN} more not shown)_` }),
        Blocks.Context().elements(footer),
      ),
    };
  },
});
