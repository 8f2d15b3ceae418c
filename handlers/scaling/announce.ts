import type { ScaleRevert } from '../../db/stores/scaleStore.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { ScalingDeps } from './deps.ts';
import { type Announcement, announcementMessage } from './messages.ts';
import type { ScalePlan } from './plan.ts';
import { watchReadiness } from './readiness.ts';
import { label } from './teams.ts';

/** What a change is about: the target, or its HPA's minimum. */
export function whatChanges(plan: ScalePlan): string {
  const name = label(plan.team, plan.target);
  return plan.mode === 'hpaMinReplicas' ? `the HPA minimum of ${name}` : name;
}

/** Posts the announcement in the channel, remembers where (for the revert's thread), and starts watching readiness. */
export async function announce(
  ctx: CommandContext<ScalingDeps>,
  input: {
    plan: ScalePlan;
    desired: number;
    revertId: string | undefined;
    announcement: Announcement;
    thread?: ScaleRevert;
  },
): Promise<void> {
  const { services } = ctx;
  const handle = await ctx.reply(announcementMessage(input.announcement));
  const ref = handle.ref ?? null;
  if (ref && input.revertId) await services.scaling.setRevertThread(input.revertId, ref.channel, ref.ts);
  const thread = input.thread;
  if (thread?.channel && thread.threadTs) {
    try {
      await services.notifier.post(
        thread.channel,
        announcementMessage({ ...input.announcement, status: '' }),
        { threadTs: thread.threadTs },
      );
    } catch (error) {
      ctx.log.warn({ err: error }, 'could not post the early revert in the original thread');
    }
  }
  if (input.plan.state.ready === null) return;
  await watchReadiness(services, {
    team: input.plan.team.name,
    target: input.plan.target.name,
    mode: input.plan.mode,
    desired: input.desired,
    ref,
    channel: ref?.channel ?? ctx.channel,
    announcement: input.announcement,
  });
}
