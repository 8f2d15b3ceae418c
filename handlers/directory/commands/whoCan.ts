import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { InputError } from '../../../core/errors.ts';
import { blocks } from '../../../pipeline/message.ts';
import { escapeMrkdwn, lineSections } from '../../../pipeline/views/common.ts';
import {
  ACTION_PATTERN,
  matchesAction,
  matchesResource,
  RESOURCE_PATTERN,
} from '../../../policies/patterns.ts';
import { defineCommand } from '../deps.ts';

const MEMBERS_SHOWN = 15;

export const whoCan = defineCommand({
  name: 'who-can',
  summary: 'List who may do an action (on a resource), and through which grant',
  usage: 'who-can <action> [resource]',
  examples: ['who-can workers.scale team:team-x', 'who-can release.ship'],
  params: { positionals: ['action', 'resource'] },
  args: z.object({
    action: z.string().max(100).regex(ACTION_PATTERN, { error: 'expected an action such as workers.scale' }),
    resource: z
      .string()
      .max(200)
      .regex(RESOURCE_PATTERN, { error: 'expected a resource such as team:team-x' })
      .optional(),
  }),
  action: 'access.read',
  resourceKinds: ['access'],
  resource: () => 'access:grants',
  run: async (args, ctx) => {
    if (ctx.services.registry.catalog.covered(args.action).length === 0) {
      throw new InputError(
        `unknown action "${args.action}"; "help" lists commands and whoami lists actions you hold`,
      );
    }
    const grants = (await ctx.services.access.allGrants()).filter(
      (g) =>
        g.actions.some((a) => matchesAction(a, args.action)) &&
        (args.resource === undefined || g.resources.some((r) => matchesResource(r, args.resource as string))),
    );
    const target = `${args.action}${args.resource ? ` on ${args.resource}` : ''}`;
    if (grants.length === 0) {
      return {
        text: `Nobody may ${target}.`,
        blocks: blocks(Blocks.Section({ text: `Nobody may ${escapeMrkdwn(target)}.` })),
      };
    }
    const groupNames = grants.flatMap((g) => (g.subject.kind === 'group' ? [g.subject.name] : []));
    const members = await ctx.services.access.groupMembers(groupNames);
    const lines = grants.map((g) => {
      const scope = `${g.resources.map((r) => `\`${r}\``).join(', ')}${
        Object.keys(g.limits).length
          ? `; limits ${Object.entries(g.limits)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`
          : ''
      }${g.approval ? `; approval by ${g.approval.group}` : ''}`;
      if (g.subject.kind === 'user') return `user ${g.subject.email} — ${scope} (${g.origin})`;
      const people = members.get(g.subject.name) ?? [];
      const shown = people.slice(0, MEMBERS_SHOWN).map((p) => p.email);
      const more = people.length > MEMBERS_SHOWN ? ` and ${people.length - MEMBERS_SHOWN} more` : '';
      return `group ${g.subject.name} (${people.length} member${people.length === 1 ? '' : 's'}: ${shown.join(', ') || 'none'}${more}) — ${scope} (${g.origin})`;
    });
    return {
      text: [`Who may ${target}:`, ...lines].join('\n'),
      blocks: blocks(
        Blocks.Section({ text: `${Md.bold(`Who may ${escapeMrkdwn(target)}`)}` }),
        ...lineSections(lines.map((l) => `• ${l}`)),
      ),
    };
  },
});
