import { NotAllowedError } from '../core/errors.ts';
import type { Approval } from '../policies/decide.ts';
import { type Accepted, commandContext } from './accepted.ts';
import type { Acker } from './acker.ts';
import { reaccept } from './admit.ts';
import type { Caller, CommandContext } from './defineCommand.ts';
import { execute, finish } from './execute.ts';
import type { ActionInvocation, Outcome } from './invocation.ts';
import type { Responder } from './message.ts';
import { closed, expiry, loadAnswer, pendingFields, settle } from './pendingRequests.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { approvalMessage, deniedMessage, noticeMessage } from './views/common.ts';
import { writeAudit } from './writeAudit.ts';

/** Past any confirmation: ask for approval when a grant or the command requires it, else run. */
export async function afterConfirmation(
  deps: PipelineDeps,
  accepted: Accepted,
  ctx: CommandContext,
): Promise<Outcome> {
  let approval: Approval | null;
  try {
    approval = accepted.decision?.allowed ? accepted.decision.approval : null;
    approval ??= await accepted.command.approval(accepted.args, ctx);
  } catch (error) {
    return finish(deps, accepted, error);
  }
  if (approval) return requestApproval(deps, accepted, approval);
  // A form's acknowledgement waits for the command's answer (a field's problem keeps it open).
  if (!accepted.inv.holdAck) await accepted.ack.done();
  return execute(deps, accepted, ctx);
}

async function requestApproval(deps: PipelineDeps, accepted: Accepted, approval: Approval): Promise<Outcome> {
  const { ack, caller, audit } = accepted;
  const expiresAt = expiry(deps);
  const pending = await deps.pending.create({
    ...pendingFields(accepted),
    kind: 'approval',
    summary: accepted.text,
    approverGroup: approval.group,
    approvalsNeeded: approval.count,
    expiresAt,
  });
  const asked = await writeAudit(deps, ack, {
    ...audit,
    kind: 'step',
    outcome: 'approval_requested',
    detail: {
      pendingId: pending.id,
      approverGroup: approval.group,
      count: approval.count,
      expiresAt: expiresAt.toISOString(),
    },
  });
  if (!asked) return 'audit_unavailable';
  await ack.done();
  const handle = await accepted.inv.responder.send(
    approvalMessage({
      pendingId: pending.id,
      requester: caller.name ?? caller.email,
      requesterSlackId: caller.slackUserId,
      commandText: accepted.text,
      approverGroup: approval.group,
      count: approval.count,
      expiresAt,
    }),
  );
  if (handle.ref) await deps.pending.setMessage(pending.id, handle.ref);
  return 'awaiting_approval';
}

/** An Approve or Deny click: the requester may only withdraw; members of the approver group vote. */
export async function answerApproval(
  deps: PipelineDeps,
  inv: ActionInvocation,
  approve: boolean,
  ack: Acker,
): Promise<Outcome> {
  const answer = await loadAnswer(deps, inv, ack, 'approval');
  if ('outcome' in answer) return answer.outcome;
  const { pending, clicker, base } = answer;
  const group = pending.approverGroup ?? '';

  if (clicker.email === pending.requesterEmail) {
    if (approve) {
      const reason = 'you cannot approve your own request: another member of the approver group must';
      if (await writeAudit(deps, ack, { ...base, decision: 'deny', reason, outcome: 'approval_refused' }))
        await ack.say(deniedMessage(reason));
      return 'denied';
    }
    // The requester may withdraw.
    const settled = await settle(deps, pending, 'cancelled', clicker.email, ack);
    if (settled) return settled;
    return closed(
      deps,
      inv,
      ack,
      base,
      pending,
      'cancelled',
      `Withdrawn by ${clicker.email}: ${pending.commandText}`,
    );
  }
  if (!clicker.groups.includes(group)) {
    const reason = `only members of ${group} may approve or deny this request`;
    if (await writeAudit(deps, ack, { ...base, decision: 'deny', reason, outcome: 'approval_refused' }))
      await ack.say(deniedMessage(reason));
    return 'denied';
  }
  if (!approve) {
    const settled = await settle(deps, pending, 'denied', clicker.email, ack);
    if (settled) return settled;
    return closed(
      deps,
      inv,
      ack,
      base,
      pending,
      'denied',
      `Denied by ${clicker.email}: ${pending.commandText}`,
    );
  }

  const vote = await deps.pending.approve(pending.id, clicker.email);
  if (
    !(await writeAudit(deps, ack, {
      ...base,
      decision: 'allow',
      outcome: 'approval_given',
      detail: { approvals: vote.count },
    }))
  )
    return 'audit_unavailable';
  const needed = pending.approvalsNeeded ?? 1;
  if (vote.count < needed) {
    await ack.say(
      noticeMessage(
        vote.alreadyVoted
          ? `You have already approved this; ${needed - vote.count} more approval(s) needed.`
          : `Approval recorded; ${needed - vote.count} more approval(s) needed.`,
      ),
    );
    return 'approval_recorded';
  }
  const settled = await settle(deps, pending, 'approved', clicker.email, ack);
  if (settled) return settled;

  // Run as the requester, as they are now: still in the directory, still granted.
  let requester: Caller;
  try {
    requester = await deps.identity.resolve({ email: pending.requesterEmail });
  } catch (error) {
    if (!(error instanceof NotAllowedError)) throw error;
    await writeAudit(deps, ack, { ...base, kind: 'outcome', outcome: 'denied', error: error.message });
    await ack.say(deniedMessage(`approved, but not run: ${error.message}`));
    return 'denied';
  }
  const accepted = await reaccept(
    deps,
    { ...inv, responder: channelVisible(inv.responder) },
    ack,
    pending,
    requester,
    { ...base, email: requester.email, slackUserId: requester.slackUserId },
    'approved',
  );
  if (!accepted) return 'denied';
  await inv.source?.update(noticeMessage(`Approved by ${clicker.email}: ${pending.commandText}`));
  await ack.done();
  return execute(deps, accepted, commandContext(deps, accepted));
}

/** Replies of a request run on approval go where everyone involved can see them. */
function channelVisible(responder: Responder): Responder {
  return { send: (message) => responder.send({ ...message, visibility: 'in_channel' }) };
}
