import { defineCommand } from '../deps.ts';
import { serviceNamed } from '../names.ts';
import { decide, decideArgs } from './common.ts';

export const releaseInclude = defineCommand({
  name: 'release include',
  summary: 'Confirm that a service ships in this release (its owners or a release manager)',
  usage: 'release include <service> [--release <id>]',
  examples: ['release include orders-api'],
  params: { positionals: ['service'], flags: { release: 'string', reason: 'string' } },
  args: decideArgs,
  action: 'release.confirm',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  names: (a, ctx) => [serviceNamed(ctx.deps.config, a.service)],
  run: (args, ctx) => decide(args, 'include', ctx),
});
