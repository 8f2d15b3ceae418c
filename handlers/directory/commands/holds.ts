import { z } from 'zod';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UpstreamError,
} from '../../../core/errors.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { sourceName } from '../config.ts';
import { type DirectoryDeps, defineCommand } from '../deps.ts';
import { holdTitle, POLICIES_TARGET, updateQuietly } from '../holds.ts';
import { reloadPolicies } from '../policyReload.ts';
import type { AccessHold } from '../stores/holdStore.ts';
import { syncDirectorySources, syncResultLines } from '../syncRunner.ts';
import { plainMessage } from '../views.ts';

const APPROVE_USAGE = 'access approve <source|policies> <request id>';
const DENY_USAGE = 'access deny <source|policies> <request id>';

const holdArgs = z.object({
  target: sourceName,
  id: z.uuid({ error: 'expected the request id shown in the approval request' }),
});

/** A directory source's holds are `directory:<source>`; a policy reload's `policies:*`. */
const holdResource = (args: { target: string }) =>
  args.target === POLICIES_TARGET ? 'policies:*' : `directory:${args.target}`;

/** The hold the button names, still waiting, and not the caller's own when two people must agree. */
async function waitingHold(
  args: z.output<typeof holdArgs>,
  ctx: CommandContext<DirectoryDeps>,
  approving: boolean,
): Promise<AccessHold> {
  const hold = await ctx.deps.holds.get(args.id);
  if (!hold || hold.target !== args.target)
    throw new NotFoundError(
      `no held change ${args.id} of ${args.target}; \`access status\` shows the last syncs`,
    );
  if (hold.status !== 'pending')
    throw new ConflictError(
      `this change was already ${hold.status}${hold.decidedBy ? ` by ${hold.decidedBy}` : ''}${hold.decidedAt ? ` at ${hold.decidedAt.toISOString()}` : ''}`,
    );
  if (approving && ctx.deps.config.access.removalGuard.twoPerson && hold.requestedBy === ctx.caller.email)
    throw new NotAllowedError(
      'you ran the sync or reload that was held, and access.removalGuard.twoPerson requires someone else to approve it',
    );
  return hold;
}

/** Claims the hold for this decision; a second admin's click loses and is told who was first. */
async function claim(
  ctx: CommandContext<DirectoryDeps>,
  hold: AccessHold,
  to: 'approved' | 'denied',
): Promise<AccessHold> {
  const won = await ctx.deps.holds.decide(hold.id, to, ctx.caller.email);
  if (won) return won;
  const now = await ctx.deps.holds.get(hold.id);
  throw new ConflictError(
    `this change was already ${now?.status ?? 'decided'} by ${now?.decidedBy ?? 'someone'}`,
  );
}

async function approveSync(ctx: CommandContext<DirectoryDeps>, hold: AccessHold): Promise<string> {
  const [result] = await syncDirectorySources(ctx.deps, {
    source: hold.target,
    trigger: 'command',
    entry: ctx.entry,
    requestId: ctx.requestId,
    requestedBy: ctx.caller.email,
    approved: { holdId: hold.id, digest: hold.digest, by: ctx.caller.email },
  });
  if (!result) throw new InputError(`directory source ${hold.target} is no longer configured`);
  if (result.status === 'failed') {
    await ctx.deps.holds.settleApproved(hold.id, 'pending');
    throw new UpstreamError(
      `directory source ${hold.target}`,
      `${result.error ?? 'failed'}; the request still waits`,
    );
  }
  if (result.status === 'refused') {
    await ctx.deps.holds.settleApproved(hold.id, 'superseded');
    await updateQuietly(
      ctx.deps,
      hold,
      `approved by ${ctx.caller.email}, but the source changed since: nothing was applied and a new request was posted`,
    );
    throw new ConflictError(
      `the source changed since this request was made, so nothing was applied; a new request (${result.hold?.id ?? 'see the admin channel'}) shows the difference as it is now`,
    );
  }
  if (result.status === 'unchanged') {
    await ctx.deps.holds.settleApproved(hold.id, 'superseded');
    const decision = `approved by ${ctx.caller.email}, but nothing was left to apply: the stored directory already matches the source`;
    await updateQuietly(ctx.deps, hold, decision);
    return `${holdTitle(hold.target)} ${decision}.`;
  }
  const decision = `approved by ${ctx.caller.email} and applied`;
  await updateQuietly(ctx.deps, hold, decision);
  return [`${holdTitle(hold.target)} ${decision}.`, ...syncResultLines(result, 10)].join('\n');
}

async function approvePolicies(ctx: CommandContext<DirectoryDeps>, hold: AccessHold): Promise<string> {
  const policies = ctx.deps.policies;
  if (!policies) throw new InputError('this process does not load policy files');
  const result = await reloadPolicies(
    { ...ctx.deps, policies },
    {
      requestedBy: ctx.caller.email,
      trigger: 'approval',
      approved: { holdId: hold.id, digest: hold.digest, by: ctx.caller.email },
    },
  );
  if (result.status === 'held') {
    await ctx.deps.holds.settleApproved(hold.id, 'superseded');
    await updateQuietly(
      ctx.deps,
      hold,
      `approved by ${ctx.caller.email}, but the change is no longer the same: nothing was applied and a new request was posted`,
    );
    throw new ConflictError(
      `the policy files or the running grants changed since this request was made, so nothing was applied; a new request (${result.holdId}) shows the change as it is now`,
    );
  }
  const decision = `approved by ${ctx.caller.email} and applied (${result.count} grants)`;
  await updateQuietly(ctx.deps, hold, decision);
  return `${holdTitle(hold.target)} ${decision}.`;
}

export const accessApprove = defineCommand({
  name: 'access approve',
  summary: 'Approve a directory sync or policy reload that the removal guard held',
  usage: APPROVE_USAGE,
  examples: ['access approve google 0b6f8a52-1c1e-4c8e-9d53-3f1f2a3b4c5d'],
  description:
    'Applies exactly the change the approval request showed. If the source or the policy files say something else by now, nothing is applied and a new request shows the change as it is.',
  params: { positionals: ['target', 'id'] },
  args: holdArgs,
  action: 'access.approve-removal',
  resourceKinds: ['directory', 'policies'],
  resource: holdResource,
  run: async (args, ctx) => {
    const hold = await claim(ctx, await waitingHold(args, ctx, true), 'approved');
    const text =
      hold.target === POLICIES_TARGET ? await approvePolicies(ctx, hold) : await approveSync(ctx, hold);
    return plainMessage(text);
  },
});

export const accessDeny = defineCommand({
  name: 'access deny',
  summary: 'Deny a directory sync or policy reload that the removal guard held',
  usage: DENY_USAGE,
  examples: ['access deny google 0b6f8a52-1c1e-4c8e-9d53-3f1f2a3b4c5d'],
  description:
    'Nothing changes, and the same change is not asked about again; a different change (the source corrected) is.',
  params: { positionals: ['target', 'id'] },
  args: holdArgs,
  action: 'access.approve-removal',
  resourceKinds: ['directory', 'policies'],
  resource: holdResource,
  run: async (args, ctx) => {
    const hold = await claim(ctx, await waitingHold(args, ctx, false), 'denied');
    await ctx.auditStep({
      outcome: 'hold_denied',
      action: 'access.approve-removal',
      resource: holdResource(args),
      detail: { holdId: hold.id, target: hold.target, ...hold.summary },
    });
    const decision = `denied by ${ctx.caller.email}: nothing was changed`;
    await updateQuietly(ctx.deps, hold, decision);
    return plainMessage(`${holdTitle(hold.target)} ${decision}.`);
  },
});
