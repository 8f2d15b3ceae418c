import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { blocks } from '../../../pipeline/message.ts';
import { escapeMrkdwn } from '../../../pipeline/views/common.ts';
import type { Grant } from '../../../policies/decide.ts';
import { defineCommand } from '../deps.ts';

/** One grant as a line of mrkdwn; patterns are code spans, since `*` would otherwise mean bold. */
export function describeGrant(g: Grant): string {
  const code = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');
  const limits = Object.entries(g.limits).map(([k, v]) => `${k} ${v}`);
  const via = g.subject.kind === 'group' ? `via ${escapeMrkdwn(g.subject.name)}` : 'granted to you';
  const extra = [
    ...(limits.length ? [`limits: ${limits.join(', ')}`] : []),
    ...(g.approval ? [`needs approval by ${g.approval.count} of ${escapeMrkdwn(g.approval.group)}`] : []),
  ];
  return `${code(g.actions)} on ${code(g.resources)} (${via}${extra.length ? `; ${extra.join('; ')}` : ''})`;
}

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Show who dpbot thinks you are, your groups and what you may do',
  usage: 'whoami',
  args: z.object({}),
  run: (_args, ctx) => {
    const { caller } = ctx;
    const who = `${caller.name ? `${caller.name} ` : ''}<${caller.email}>${caller.slackUserId ? ` (Slack ${caller.slackUserId})` : ''}`;
    const grants = caller.grants.map(describeGrant);
    const groups = caller.groups.length ? caller.groups.join(', ') : 'none';
    return {
      text: [
        `You are ${who}.`,
        `Groups: ${groups}`,
        'You may:',
        ...(grants.length ? grants : ['nothing yet']),
      ].join('\n'),
      blocks: blocks(
        Blocks.Section({ text: `You are ${Md.bold(escapeMrkdwn(who))}.` }),
        Blocks.Section({ text: `${Md.bold('Groups')}: ${escapeMrkdwn(groups)}` }),
        Blocks.Section({
          text: `${Md.bold('You may')}\n${
            grants.length
              ? grants
                  .slice(0, 40)
                  .map((g) => `• ${g}`)
                  .join('\n')
              : `nothing yet: ask ${escapeMrkdwn(ctx.services.config.access.adminContact)} for access`
          }`,
        }),
      ),
    };
  },
});
