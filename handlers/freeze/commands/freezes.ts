import { z } from 'zod';
import { defineCommand } from '../deps.ts';
import { activeFreezes } from '../gate.ts';
import { freezesMessage } from '../views.ts';

export const freezesList = defineCommand({
  name: 'freezes',
  summary: 'List the deploy freezes in force: configured windows and ad hoc ones',
  usage: 'freezes',
  examples: ['freezes'],
  args: z.object({}),
  action: 'release.read',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (_a, ctx) => freezesMessage(await activeFreezes(ctx.deps)),
});
