import { z } from 'zod';
import { ConflictError } from '../../../core/errors.ts';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';
import { postInThread, publish } from '../publish.ts';
import { findRelease, releaseId } from './common.ts';

export const releaseCancel = defineCommand({
  name: 'release cancel',
  summary: 'Cancel an open release (nothing is deployed)',
  usage: 'release cancel [--release <id>] [--reason <text>]',
  examples: ['release cancel --reason "the migration is not ready"'],
  params: { flags: { release: 'string', reason: 'string' } },
  args: z.object({ release: releaseId.optional(), reason: z.string().max(300).optional() }),
  action: 'release.start',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  confirm: async (args, ctx) => {
    const release = await findRelease(ctx.deps, args.release);
    return {
      summary: `Cancel release #${release.id}`,
      details: ['Its pull requests come back in the next release.'],
    };
  },
  run: async (args, ctx) => {
    const release = await findRelease(ctx.deps, args.release);
    if (
      !(await ctx.deps.releases.transition(release.id, ['open', 'failed'], {
        status: 'cancelled',
        active: null,
      }))
    )
      throw new ConflictError(
        `release #${release.id} is ${release.status}; only an open or stopped release can be cancelled`,
      );
    const snapshot = await publish(ctx.deps, release.id);
    const text = `${ctx.caller.name ?? ctx.caller.email} cancelled release #${release.id}${args.reason ? `: ${args.reason}` : ''}.`;
    // Said once, in the release message's thread; the one who cancelled is told so.
    await postInThread(ctx.deps, snapshot, null, noticeMessage(text, 'in_channel'));
    return noticeMessage(`${text} The release message's thread says so.`);
  },
});
