import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { MessageRef } from '../../pipeline/notifier.ts';
import type { ScalingDeps } from './deps.ts';
import type { Announcement } from './messages.ts';
import type { ScalePlan } from './plan.ts';
import { watchReadiness } from './readiness.ts';
import type { ScaleRevert } from './stores/scaleStore.ts';
import { label } from './teams.ts';
import { announcementMessage } from './views.ts';

/** What a change is about: the target, or its HPA's minimum. */
/** The announcement posted in the thread of the change it reverts; undefined when there is none. */
async function inThread(
  ctx: CommandContext<ScalingDeps>,
  input: { announcement: Announcement; thread?: ScaleRevert },
): Promise<MessageRef | undefined> {
  const thread = input.thread;
  if (!thread?.channel || !thread.threadTs) return undefined;
  try {
    return await ctx.deps.notifier.post(thread.channel, announcementMessage(input.announcement), {
      threadTs: thread.threadTs,
    });
  } catch (error) {
    ctx.log.warn({ err: error }, 'could not post the early revert in its thread; posting it in the channel');
    return undefined;
  }
}

export function whatChanges(plan: ScalePlan): string {
  const name = label(plan.team, plan.target);
  return plan.mode === 'hpaMinReplicas' ? `the HPA minimum of ${name}` : name;
}

/**
 * Posts the announcement, remembers where (for the revert's thread), and starts watching
 * readiness. An early revert (`thread`) is said once, in the thread of the change it undoes,
 * where the planned revert would have been; only when that thread is gone is it said in the channel.
 */
export async function announce(
  ctx: CommandContext<ScalingDeps>,
  input: {
    plan: ScalePlan;
    desired: number;
    revertId: string | undefined;
    announcement: Announcement;
    thread?: ScaleRevert;
  },
): Promise<'thread' | 'channel'> {
  const { deps } = ctx;
  const threaded = await inThread(ctx, input);
  const ref = threaded ?? (await ctx.reply(announcementMessage(input.announcement))).ref ?? null;
  const where = threaded ? 'thread' : 'channel';
  if (ref && input.revertId) await deps.scaling.setRevertThread(input.revertId, ref.channel, ref.ts);
  if (input.plan.state.ready === null) return where;
  await watchReadiness(deps, {
    team: input.plan.team.name,
    target: input.plan.target.name,
    mode: input.plan.mode,
    desired: input.desired,
    from: input.plan.from,
    ref,
    channel: ref?.channel ?? ctx.channel,
    announcement: input.announcement,
  });
  return where;
}
