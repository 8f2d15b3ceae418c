import { z } from 'zod';
import { formatDuration, parseDuration } from '../../../core/config/duration.ts';
import { InputError } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import { describeRef } from '../../../integrations/kubernetes/kubernetes.ts';
import type { CommandContext, Confirmation } from '../../../pipeline/defineCommand.ts';
import type { Message } from '../../../pipeline/message.ts';
import { mentionOf, personToken } from '../../../pipeline/people.ts';
import { announce, whatChanges } from '../announce.ts';
import { auditScaled } from '../changes.ts';
import type { TargetConfig, TeamConfig } from '../config.ts';
import { TEAM_NAME } from '../config.ts';
import { defineCommand, type ScalingDeps } from '../deps.ts';
import { pickPending, runEarlyRevert } from '../earlyRevert.ts';
import { readinessStatus } from '../messages.ts';
import { type AppliedChange, applyPlan, planScale, type ScaleMode, type ScalePlan } from '../plan.ts';
import { cancelRevertJob, scheduleRevert, temporaryChangeLine } from '../reverts.ts';
import type { LockedTeam, ScaleChangeDetail, ScaleChangeRecord, ScaleRevert } from '../stores/scaleStore.ts';
import { findTarget, findTeam, label, SCALE_USAGE, teamNamed } from '../teams.ts';
import { scaleModal, unchangedMessage } from '../views.ts';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected a lower-case name such as "workers"' });

const scaleArgs = z
  .object({
    team: z.string().regex(TEAM_NAME, { error: 'expected a team name such as team-x' }),
    replicas: z
      .string()
      // `-1` reads as a flag to some and a number to others: say what a count may be.
      .refine((v) => !/^-\d/.test(v), {
        error: (issue) => `expected a whole number, 0 or more (not ${String(issue.input)})`,
        abort: true,
      })
      .regex(/^\d{1,5}$/, { error: 'expected a whole number of workers, such as 8' })
      .transform(Number)
      .optional(),
    target: name.optional(),
    for: z.string().max(20).optional(),
    reason: z.string().trim().min(1).max(300).optional(),
    revert: z.boolean().optional(),
    hpaMin: z.boolean().optional(),
  })
  .superRefine((a, ctx) => {
    if (a.for !== undefined && parseDuration(a.for) === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['for'],
        message: `expected a duration such as 30m, 2h or 1d, got "${a.for}"`,
      });
    if (a.revert && a.replicas !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['revert'],
        message: 'give a number of workers or --revert, not both',
      });
    if (a.revert && (a.for !== undefined || a.hpaMin))
      ctx.addIssue({
        code: 'custom',
        path: ['revert'],
        message: '--revert restores the earlier count; it takes no --for or --hpa-min',
      });
  });
type ScaleArgs = z.output<typeof scaleArgs>;

interface Temporary {
  ms: number;
  dueAt: Date;
}

function temporary(args: ScaleArgs, config: ScalingDeps['config'], now: Date): Temporary | null {
  if (args.for === undefined) return null;
  const ms = parseDuration(args.for) ?? 0;
  const { minFor, maxFor } = config.kubernetes;
  if (ms < minFor || ms > maxFor)
    throw new InputError(
      `--for must be between ${formatDuration(minFor)} and ${formatDuration(maxFor)}; for longer, scale without --for`,
      SCALE_USAGE,
    );
  return { ms, dueAt: new Date(now.getTime() + ms) };
}

function mode(args: ScaleArgs): ScaleMode {
  return args.hpaMin ? 'hpaMinReplicas' : 'replicas';
}

/** The line saying what this change replaced: the last change dpbot knows of, or an outside one. */
function replacedLine(from: number, previous: ScaleChangeRecord | undefined): string | null {
  if (!previous) return null;
  const d = previous.detail;
  const by = previous.email
    ? personToken({ email: previous.email, slackUserId: previous.slackUserId })
    : 'dpbot, scheduled revert';
  if (d.to !== from) return `It was ${from}, set outside dpbot (the last change dpbot knows of set ${d.to}).`;
  return `Replaces ${d.to}, set by ${by} at ${formatTime(previous.at)}${d.reason ? ` ("${d.reason}")` : ''}.`;
}

async function confirmScale(args: ScaleArgs, ctx: CommandContext<ScalingDeps>): Promise<Confirmation | null> {
  const { config } = ctx.deps;
  const team = findTeam(config, args.team, SCALE_USAGE);
  let plan: ScalePlan;
  let suffix = '';
  if (args.revert) {
    const pending = await ctx.deps.scaling.pendingReverts(team.name);
    const row = pickPending(team, pending, args.target);
    plan = await planScale(ctx.deps, team, findTarget(team, row.target), row.fromReplicas, {
      mode: row.mode,
      restoring: true,
    });
    suffix = ' (early revert)';
  } else {
    if (args.replicas === undefined) return null;
    const target = findTarget(team, args.target, SCALE_USAGE);
    const temp = temporary(args, config, ctx.deps.now());
    plan = await planScale(ctx.deps, team, target, args.replicas, { mode: mode(args), restoring: false });
    if (temp) suffix = ` for ${formatDuration(temp.ms)}`;
  }
  if (plan.confirmReasons.length === 0) return null;
  // Whoever confirms should know a temporary change of this target is pending and would be replaced.
  const replaced = args.revert
    ? undefined
    : (await ctx.deps.scaling.pendingReverts(team.name)).find((p) => p.target === plan.target.name);
  return {
    summary: `Scale ${whatChanges(plan)} ${plan.from} → ${plan.to}${suffix}`,
    // Fewer workers (to 0 above all) is what can hurt; more is asked about for cost, not danger.
    destructive: plan.to < plan.from,
    details: [
      `Asked first because ${plan.confirmReasons.join('; ')}.`,
      ...(replaced
        ? [
            `This replaces the pending revert to ${replaced.fromReplicas} at ${formatTime(replaced.dueAt)} (${temporaryChangeLine(replaced)}).`,
          ]
        : []),
      ...plan.warnings,
      `${describeRef(plan.ref)} on cluster ${plan.ref.cluster}`,
    ],
  };
}

interface Applied {
  plan: ScalePlan;
  change: AppliedChange;
  previous: ScaleChangeRecord | undefined;
  superseded: ScaleRevert | undefined;
  revert: ScaleRevert | undefined;
}

/** `scale <team>` without a count: the form for it (Slack only), or a refusal that says how. */
async function askForCount(
  team: TeamConfig,
  target: TargetConfig,
  ctx: CommandContext<ScalingDeps>,
): Promise<undefined> {
  if (await ctx.openModal(scaleModal(team, target, label(team, target), ctx.channel))) return undefined;
  throw new InputError(
    `say how many workers ${label(team, target)} should have, e.g. "scale ${team.name} ${Math.min(team.maxReplicas, Math.max(team.minReplicas, 4))}" (or replicas=<n>)`,
    SCALE_USAGE,
  );
}

/** What one scale request asks for, read once from its args. */
interface ScaleRequest {
  team: TeamConfig;
  target: TargetConfig;
  replicas: number;
  mode: ScaleMode;
  temp: Temporary | null;
  reason: string | null;
}

/**
 * The change under the team's lock: planned again (another change may have landed since the
 * confirmation), applied, a pending revert superseded, a new one scheduled for a temporary count,
 * and the audit step written.
 */
async function applyUnderLock(
  locked: LockedTeam,
  request: ScaleRequest,
  ctx: CommandContext<ScalingDeps>,
): Promise<Applied | { unchanged: ScalePlan }> {
  const { deps, caller } = ctx;
  const { team, target, temp, reason } = request;
  const plan = await planScale(deps, team, target, request.replicas, {
    mode: request.mode,
    restoring: false,
  });
  const pending = await locked.pendingRevert(target.name);
  // The same count again still matters when a revert is pending: it keeps (or, with --for,
  // extends) the temporary count.
  if (plan.from === plan.to && !pending) return { unchanged: plan };
  const previous = (await deps.scaling.lastChanges(team.name, 20)).find(
    (c) => c.detail.target === target.name && c.detail.mode === plan.mode,
  );
  const change =
    plan.from === plan.to ? { from: plan.from, to: plan.to, conflicts: 0 } : await applyPlan(deps, plan);
  if (pending)
    await locked.settleRevert(
      pending.id,
      'superseded',
      caller.email,
      `superseded by request ${ctx.requestId}`,
    );
  let revert: ScaleRevert | undefined;
  if (temp) {
    // A temporary change over another one restores what was there before either.
    const restore = pending && pending.mode === plan.mode ? pending.fromReplicas : change.from;
    revert = await locked.createRevert({
      team: team.name,
      target: target.name,
      mode: plan.mode,
      fromReplicas: restore,
      toReplicas: change.to,
      requestedBy: caller.email,
      requestedBySlackId: caller.slackUserId,
      reason,
      requestId: ctx.requestId,
      channel: ctx.channel,
      threadTs: null,
      dueAt: temp.dueAt,
    });
    await scheduleRevert(deps, revert, locked);
  }
  const detail: ScaleChangeDetail = {
    team: team.name,
    target: target.name,
    mode: plan.mode,
    from: change.from,
    to: change.to,
    reason,
    conflicts: change.conflicts,
    ...(change.answeredLate ? { answeredLate: true } : {}),
    ...(revert ? { revertAt: revert.dueAt.toISOString(), revertId: revert.id } : {}),
    ...(pending ? { superseded: pending.id } : {}),
  };
  await auditScaled(ctx, detail);
  return { plan, change, previous, superseded: pending, revert };
}

/** The announcement's headline and lines: what changed, why, until when, and what it replaced. */
function describeApplied(request: ScaleRequest, result: Applied): { headline: string; lines: string[] } {
  const { team, target, temp, reason } = request;
  const { plan, change } = result;
  const verb = plan.mode === 'hpaMinReplicas' ? 'set the HPA minimum of' : 'scaled';
  const headline = `${verb} ${label(team, target)} ${change.from} → ${change.to}${temp ? ` for ${formatDuration(temp.ms)}` : ''}`;
  const lines = [
    reason ? `Why: ${reason}` : 'No reason given.',
    `${describeRef(plan.ref)} on cluster ${plan.ref.cluster}.`,
    ...(result.revert
      ? [`Reverts to ${result.revert.fromReplicas} at ${formatTime(result.revert.dueAt)}.`]
      : []),
    ...(result.superseded
      ? [
          `This replaces the pending revert to ${result.superseded.fromReplicas} at ${formatTime(result.superseded.dueAt)} (${temporaryChangeLine(result.superseded, personToken)})${result.revert ? '' : ': the new count stays until changed'}.`,
        ]
      : []),
    // The superseded revert already says what this replaces.
    ...[
      result.previous?.detail.revertId && result.previous.detail.revertId === result.superseded?.id
        ? null
        : replacedLine(change.from, result.previous),
    ].filter((l): l is string => l !== null),
    ...(change.conflicts > 0
      ? [
          `The count changed while dpbot was writing (${change.conflicts} conflict(s)); dpbot read it again and replaced ${change.from}.`,
        ]
      : []),
    ...(change.answeredLate
      ? [
          `Kubernetes did not answer the write in time; dpbot read the count back and it is ${change.to}, so the change landed.`,
        ]
      : []),
    ...plan.warnings,
  ];
  return { headline, lines };
}

async function runScale(args: ScaleArgs, ctx: CommandContext<ScalingDeps>): Promise<Message | undefined> {
  const { deps, caller } = ctx;
  const team = findTeam(deps.config, args.team, SCALE_USAGE);
  if (args.revert) return runEarlyRevert(args, team, ctx);
  const target = findTarget(team, args.target, SCALE_USAGE);
  if (args.replicas === undefined) return askForCount(team, target, ctx);
  const request: ScaleRequest = {
    team,
    target,
    replicas: args.replicas,
    mode: mode(args),
    temp: temporary(args, deps.config, deps.now()),
    reason: args.reason ?? null,
  };
  const result = await deps.scaling.withTeamLock(team.name, deps.config.kubernetes.lockTimeout, (locked) =>
    applyUnderLock(locked, request, ctx),
  );
  if ('unchanged' in result) return unchangedMessage(whatChanges(result.unchanged), result.unchanged.to);
  if (result.superseded) await cancelRevertJob(deps, result.superseded);
  const { plan, change } = result;
  await announce(ctx, {
    plan,
    desired: change.to,
    revertId: result.revert?.id,
    announcement: {
      by: mentionOf(caller),
      ...describeApplied(request, result),
      status: readinessStatus(plan.mode, change.to, plan.state.ready, plan.state.current, change.from),
    },
  });
  return undefined;
}

export const scale = defineCommand({
  name: 'scale',
  summary: "Change a team's worker count (for a while, or until changed), or restore it early",
  usage: SCALE_USAGE,
  examples: [
    'scale team-x 8 --for 2h --reason "backfill lag"',
    'scale team-x --revert',
    'scale team-x 6',
    'scale team-y 6 --hpa-min --for 1h',
  ],
  description:
    "Sets the number of workers of a team's target, within the team's bounds and your grant's maxReplicas. With --for the earlier count comes back when the time is up (--revert brings it back now); a later scale replaces a pending revert. Scaling to 0, above the team's confirmation level, or by more than 2× asks first. Where an HPA manages the workload, --hpa-min raises its minimum instead.",
  params: {
    positionals: ['team', 'replicas'],
    flags: { target: 'string', for: 'string', reason: 'string', revert: 'boolean', 'hpa-min': 'boolean' },
    keyValues: ['target', 'for', 'reason'],
  },
  args: scaleArgs,
  action: 'workers.scale',
  resourceKinds: ['team'],
  limitNames: ['maxReplicas'],
  resource: (a) => `team:${a.team}`,
  names: (a, ctx) => [teamNamed(ctx.deps.config, a.team)],
  limits: (a): Record<string, number> => (a.replicas !== undefined ? { maxReplicas: a.replicas } : {}),
  confirm: confirmScale,
  // Above the team's threshold, the pipeline posts the request for approval and runs it once approved.
  approval: (a, ctx) => {
    if (a.revert || a.replicas === undefined || a.hpaMin) return null;
    const team = findTeam(ctx.deps.config, a.team, SCALE_USAGE);
    return team.approval && a.replicas > team.approval.above
      ? { group: team.approval.group, count: team.approval.count }
      : null;
  },
  run: runScale,
});
