import { InputError, NotFoundError } from '../../core/errors.ts';
import { formatTime } from '../../core/time.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { Message } from '../../pipeline/message.ts';
import { mentionOf, personToken } from '../../pipeline/people.ts';
import { announce, whatChanges } from './announce.ts';
import { auditScaled } from './changes.ts';
import type { TeamConfig } from './config.ts';
import type { ScalingDeps } from './deps.ts';
import { readinessStatus } from './messages.ts';
import { applyPlan, planScale } from './plan.ts';
import { cancelRevertJob, temporaryChangeLine } from './reverts.ts';
import type { ScaleRevert } from './stores/scaleStore.ts';
import { findTarget, SCALE_USAGE } from './teams.ts';

/** Targets named in the "say which" answer; "workers <team>" lists them all. */
const TARGETS_NAMED = 10;

function namesWithin(names: readonly string[], team: string): string {
  const shown = names.slice(0, TARGETS_NAMED).join(', ');
  return names.length > TARGETS_NAMED
    ? `${shown} and ${names.length - TARGETS_NAMED} more: "workers ${team}" lists them`
    : shown;
}

export function pickPending(
  team: TeamConfig,
  pending: ScaleRevert[],
  target: string | undefined,
): ScaleRevert {
  const matching = target === undefined ? pending : pending.filter((p) => p.target === target);
  const [only, ...others] = matching;
  if (!only)
    throw new NotFoundError(
      `${target ? `${team.name}/${target}` : team.name} has no temporary change waiting to be reverted, so there is nothing to restore; "workers ${team.name}" shows its state`,
    );
  if (others.length > 0)
    throw new InputError(
      `${team.name} has temporary changes on ${matching.length} targets (${namesWithin(
        matching.map((p) => p.target),
        team.name,
      )}); say which with --target <name>`,
      SCALE_USAGE,
    );
  return only;
}

/** `scale <team> --revert`: the pending temporary change is undone now, in its thread too. */
export async function runEarlyRevert(
  args: { reason?: string | undefined; target?: string | undefined },
  team: TeamConfig,
  ctx: CommandContext<ScalingDeps>,
): Promise<Message | undefined> {
  const { deps, caller } = ctx;
  const reason = args.reason ?? null;
  const result = await deps.scaling.withTeamLock(
    team.name,
    deps.config.kubernetes.lockTimeout,
    async (locked) => {
      const row = pickPending(team, await locked.pendingReverts(), args.target);
      const target = findTarget(team, row.target);
      const plan = await planScale(deps, team, target, row.fromReplicas, {
        mode: row.mode,
        restoring: true,
      });
      const change =
        plan.from === plan.to ? { from: plan.from, to: plan.to, conflicts: 0 } : await applyPlan(deps, plan);
      await locked.settleRevert(row.id, 'reverted_early', caller.email, reason ?? undefined);
      await auditScaled(ctx, {
        team: team.name,
        target: target.name,
        mode: row.mode,
        from: change.from,
        to: change.to,
        reason,
        revertOf: row.id,
        conflicts: change.conflicts,
      });
      return { row, plan, change };
    },
  );
  await cancelRevertJob(deps, result.row);
  const { row, plan, change } = result;
  const headline = `reverted ${whatChanges(plan)} early: ${change.from} → ${change.to}`;
  const where = await announce(ctx, {
    plan,
    desired: change.to,
    revertId: undefined,
    thread: row,
    announcement: {
      by: mentionOf(caller),
      headline,
      lines: [
        `The temporary change (${temporaryChangeLine(row, personToken)}) was due to end at ${formatTime(row.dueAt)}.`,
        ...(reason ? [`Why: ${reason}`] : []),
        ...(change.from !== row.toReplicas
          ? [`It was ${change.from}, not the ${row.toReplicas} set temporarily.`]
          : []),
      ],
      status: readinessStatus(plan.mode, change.to, plan.state.ready, plan.state.current, change.from),
    },
  });
  // Said in the thread of the change it undoes; the caller is pointed there, privately.
  return where === 'thread'
    ? { text: `Done: ${headline}. The thread of the change says so.`, visibility: 'ephemeral' }
    : undefined;
}
