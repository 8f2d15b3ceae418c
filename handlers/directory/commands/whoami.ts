import { z } from 'zod';
import { nameWithEmail } from '../../../pipeline/people.ts';
import { defineCommand } from '../deps.ts';
import { GRANTS_PER_PAGE, whoamiMessage } from '../views.ts';

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Show who dpbot thinks you are, your groups and what you may do',
  usage: 'whoami [page=N]',
  examples: ['whoami'],
  description: `Your grants are listed ${GRANTS_PER_PAGE} to a page.`,
  params: { keyValues: ['page'] },
  args: z.object({ page: z.coerce.number().int().min(1).max(10_000).default(1) }),
  run: (args, ctx) =>
    whoamiMessage({
      who: nameWithEmail(ctx.caller),
      groups: ctx.caller.groups,
      grants: ctx.caller.grants,
      page: args.page,
      adminContact: ctx.deps.config.access.adminContact,
    }),
});
