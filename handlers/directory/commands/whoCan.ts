import { z } from 'zod';
import { InputError } from '../../../core/errors.ts';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import {
  ACTION_PATTERN,
  matchesAction,
  matchesResource,
  RESOURCE_PATTERN,
} from '../../../policies/patterns.ts';
import { defineCommand } from '../deps.ts';
import { nobodyMayMessage, whoCanMessage } from '../views.ts';

const MEMBERS_SHOWN = 15;
/** A grant's line runs to some 600 characters with 15 members; 25 of them fit one message. */
const GRANTS_PER_PAGE = 25;
const USAGE = 'who-can <action> [resource] [page=N]';

/** The same question on another page (Next / Previous buttons). */
function whoCanCommandText(action: string, resource: string | undefined, page: number): string {
  return ['who-can', quoteArg(action), ...(resource ? [quoteArg(resource)] : []), `page=${page}`].join(' ');
}

export const whoCan = defineCommand({
  name: 'who-can',
  summary: 'List who may do an action (on a resource), and through which grant',
  usage: USAGE,
  examples: ['who-can workers.scale team:team-x', 'who-can release.ship'],
  params: { positionals: ['action', 'resource'], keyValues: ['page'] },
  args: z.object({
    action: z.string().max(100).regex(ACTION_PATTERN, { error: 'expected an action such as workers.scale' }),
    resource: z
      .string()
      .max(200)
      .regex(RESOURCE_PATTERN, { error: 'expected a resource such as team:team-x' })
      .optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
  }),
  action: 'access.read',
  resourceKinds: ['access'],
  resource: () => 'access:grants',
  run: async (args, ctx) => {
    if (ctx.deps.registry.catalog.covered(args.action).length === 0) {
      throw new InputError(
        `unknown action "${args.action}"; "help" lists commands and whoami lists actions you hold`,
      );
    }
    const grants = (await ctx.deps.access.allGrants()).filter(
      (g) =>
        g.actions.some((a) => matchesAction(a, args.action)) &&
        (args.resource === undefined || g.resources.some((r) => matchesResource(r, args.resource as string))),
    );
    const target = `${args.action}${args.resource ? ` on ${args.resource}` : ''}`;
    if (grants.length === 0) {
      return nobodyMayMessage(target);
    }
    const pages = Math.ceil(grants.length / GRANTS_PER_PAGE);
    // Past the end (a typo, or a Next button after grants were removed) shows the last page.
    const page = Math.min(args.page, pages);
    const first = (page - 1) * GRANTS_PER_PAGE;
    const shown = grants.slice(first, first + GRANTS_PER_PAGE);
    const groupNames = shown.flatMap((g) => (g.subject.kind === 'group' ? [g.subject.name] : []));
    const members = await ctx.deps.access.groupMembers(groupNames);
    const lines = shown.map((g) => {
      const scope = `${g.resources.map((r) => `\`${r}\``).join(', ')}${
        Object.keys(g.limits).length
          ? `; limits ${Object.entries(g.limits)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`
          : ''
      }${g.approval ? `; approval by ${g.approval.group}` : ''}`;
      if (g.subject.kind === 'user') return `user ${g.subject.email} — ${scope} (${g.origin})`;
      const people = members.get(g.subject.name) ?? [];
      const names = people.slice(0, MEMBERS_SHOWN).map((p) => p.email);
      const more = people.length > MEMBERS_SHOWN ? ` and ${people.length - MEMBERS_SHOWN} more` : '';
      return `group ${g.subject.name} (${people.length} member${people.length === 1 ? '' : 's'}: ${names.join(', ') || 'none'}${more}) — ${scope} (${g.origin})`;
    });
    const past = args.page > pages ? `; there is no page ${args.page}` : '';
    const range =
      pages > 1 || past
        ? ` (${grants.length} grants; ${first + 1}–${first + shown.length}, page ${page} of ${pages}${past})`
        : '';
    const rest = grants.length - first - shown.length;
    return whoCanMessage({
      target,
      range,
      lines,
      rest,
      previousCommand: page > 1 ? whoCanCommandText(args.action, args.resource, page - 1) : undefined,
      nextCommand: whoCanCommandText(args.action, args.resource, page + 1),
      hasNext: page < pages,
    });
  },
});
