import { defineCommand } from '../deps.ts';
import { serviceNamed } from '../names.ts';
import { decide, decideArgs } from './common.ts';

export const releaseSkip = defineCommand({
  name: 'release skip',
  summary: 'Leave a service out of this release (its owners or a release manager)',
  usage: 'release skip <service> [--release <id>] [--reason <text>]',
  examples: ['release skip orders-api --reason "waiting for the migration"'],
  params: { positionals: ['service'], flags: { release: 'string', reason: 'string' } },
  args: decideArgs,
  action: 'release.confirm',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  names: (a, ctx) => [serviceNamed(ctx.deps.config, a.service)],
  run: (args, ctx) => decide(args, 'skip', ctx),
});
