import { NotAllowedError } from '../core/errors.ts';
import { formatTime } from '../core/time.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { PendingAction } from '../db/stores/pendingStore.ts';
import type { Approval } from '../policies/decide.ts';
import { type Accepted, commandContext } from './accepted.ts';
import type { Acker } from './acker.ts';
import { reaccept } from './admit.ts';
import type { Caller, CommandContext } from './defineCommand.ts';
import { execute, finish } from './execute.ts';
import type { ActionInvocation, Outcome } from './invocation.ts';
import type { Message, Responder } from './message.ts';
import { closed, expiry, loadAnswer, pendingFields, settle } from './pendingRequests.ts';
import { nameWithEmail } from './people.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import {
  type ApprovalRequest,
  approvalDecidedMessage,
  decisionForRequester,
  requestReason,
} from './views/approvals.ts';
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
      reason: requestReason(accepted.raw),
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
  // A click on a request already decided is recorded as what it was, not as another vote.
  const late = (current: PendingAction) => alreadyDecided(deps, ack, base, current, approve);
  if (pending.status !== 'pending' && pending.status !== 'expired') return late(pending);
  const request = requestOf(pending);

  if (clicker.email === pending.requesterEmail) {
    if (approve) {
      const reason = 'you cannot approve your own request: another member of the approver group must';
      if (await writeAudit(deps, ack, { ...base, decision: 'deny', reason, outcome: 'approval_refused' }))
        await ack.say(deniedMessage(reason));
      return 'denied';
    }
    // The requester may withdraw.
    const settled = await settle(deps, pending, 'cancelled', clicker.email, ack, late);
    if (settled) return settled;
    const decided = approvalDecidedMessage(request, 'withdrawn', nameOf(clicker), deps.now());
    return closed(deps, inv, ack, base, pending, 'cancelled', decided);
  }
  if (!clicker.groups.includes(group)) {
    const reason = `only members of ${group} may approve or deny this request`;
    if (await writeAudit(deps, ack, { ...base, decision: 'deny', reason, outcome: 'approval_refused' }))
      await ack.say(deniedMessage(reason));
    return 'denied';
  }
  if (!approve) {
    const settled = await settle(deps, pending, 'denied', clicker.email, ack, late);
    if (settled) return settled;
    const decided = approvalDecidedMessage(request, 'denied', nameOf(clicker), deps.now());
    const outcome = await closed(deps, inv, ack, base, pending, 'denied', decided);
    await tellRequester(deps, pending, decisionForRequester(request, 'denied', nameOf(clicker)));
    return outcome;
  }

  const vote = await deps.pending.approve(pending.id, clicker.email);
  const needed = pending.approvalsNeeded ?? 1;
  if (vote.alreadyVoted) return approvedBefore(deps, ack, base, pending, approve, vote.count, needed);
  if (vote.count < needed) {
    if (!(await approvalGiven(deps, ack, base, vote.count))) return 'audit_unavailable';
    await ack.say(noticeMessage(`Approval recorded; ${needed - vote.count} more approval(s) needed.`));
    return 'approval_recorded';
  }
  // This vote completes the request; of clicks that complete it at once, the one that settles it
  // is its approval and the others are told who got there first.
  const settled = await settle(deps, pending, 'approved', clicker.email, ack, late);
  if (settled) return settled;
  if (!(await approvalGiven(deps, ack, base, vote.count))) return 'audit_unavailable';
  return runApproved(deps, inv, ack, base, pending, clicker);
}

/** Runs an approved request as the requester, as they are now: still in the directory, still granted. */
async function runApproved(
  deps: PipelineDeps,
  inv: ActionInvocation,
  ack: Acker,
  base: AuditEntry,
  pending: PendingAction,
  clicker: Caller,
): Promise<Outcome> {
  const request = requestOf(pending);
  const decided = approvalDecidedMessage(request, 'approved', nameOf(clicker), deps.now());
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
    { ...inv, responder: inThread(deps, pending, inv.responder) },
    ack,
    pending,
    requester,
    { ...base, email: requester.email, slackUserId: requester.slackUserId },
    'approved',
  );
  if (!accepted) return 'denied';
  await showDecision(deps, inv, pending, decided);
  await tellRequester(deps, pending, decisionForRequester(request, 'approved', nameOf(clicker)));
  await ack.done();
  return execute(deps, accepted, commandContext(deps, accepted));
}

function approvalGiven(
  deps: PipelineDeps,
  ack: Acker,
  base: AuditEntry,
  approvals: number,
): Promise<boolean> {
  return writeAudit(deps, ack, {
    ...base,
    decision: 'allow',
    outcome: 'approval_given',
    detail: { approvals },
  });
}

/** A second Approve by the same person: recorded as such, and not counted again. */
async function approvedBefore(
  deps: PipelineDeps,
  ack: Acker,
  base: AuditEntry,
  pending: PendingAction,
  approve: boolean,
  count: number,
  needed: number,
): Promise<Outcome> {
  const current = await deps.pending.get(pending.id);
  if (current && current.status !== 'pending' && current.status !== 'expired')
    return alreadyDecided(deps, ack, base, current, approve);
  if (
    !(await writeAudit(deps, ack, {
      ...base,
      outcome: 'approval_already_given',
      detail: { approvals: count },
    }))
  )
    return 'audit_unavailable';
  await ack.say(
    noticeMessage(
      count < needed
        ? `You have already approved this; ${needed - count} more approval(s) needed.`
        : 'You have already approved this; it is being run.',
    ),
  );
  return count < needed ? 'approval_recorded' : 'conflict';
}

/** A click on a request someone already decided: answered with who and when, audited once. */
async function alreadyDecided(
  deps: PipelineDeps,
  ack: Acker,
  base: AuditEntry,
  current: PendingAction,
  approve: boolean,
): Promise<Outcome> {
  const by = await personNamed(deps, current.decidedBy);
  const when = current.decidedAt ? ` at ${formatTime(current.decidedAt)}` : '';
  if (
    !(await writeAudit(deps, ack, {
      ...base,
      outcome: 'approval_already_decided',
      reason: `already ${current.status} by ${current.decidedBy ?? 'someone'}`,
      detail: {
        clicked: approve ? 'approve' : 'deny',
        status: current.status,
        decidedBy: current.decidedBy,
        decidedAt: current.decidedAt?.toISOString() ?? null,
      },
    }))
  )
    return 'audit_unavailable';
  await ack.say(noticeMessage(`Already ${current.status} by ${by}${when}.`));
  return 'conflict';
}

/** A person's name with their e-mail, from the directory; the e-mail alone when they are not in it. */
async function personNamed(deps: PipelineDeps, email: string | null): Promise<string> {
  if (!email) return 'someone';
  if (email === 'dpbot') return email;
  try {
    return nameOf(await deps.identity.resolve({ email }));
  } catch {
    return email;
  }
}

const nameOf = (person: Caller): string => nameWithEmail(person);

function requestOf(pending: PendingAction): ApprovalRequest {
  return {
    requester: pending.requesterEmail,
    requesterSlackId: pending.requesterSlackId,
    commandText: pending.commandText,
    reason: requestReason(pending.args),
  };
}

/** The approval message shows the decision and still says who asked for what. */
async function showDecision(
  deps: PipelineDeps,
  inv: ActionInvocation,
  pending: PendingAction,
  decided: Message,
): Promise<void> {
  if (inv.source) await inv.source.update(decided);
  else if (pending.messageChannel && pending.messageTs)
    await deps.notifier.update({ channel: pending.messageChannel, ts: pending.messageTs }, decided);
}

/** The requester hears of a decision someone else made, wherever they are (a direct message). */
async function tellRequester(deps: PipelineDeps, pending: PendingAction, message: Message): Promise<void> {
  try {
    await deps.notifier.direct(
      { slackUserId: pending.requesterSlackId, email: pending.requesterEmail },
      message,
    );
  } catch (error) {
    // The decision stands and is shown on the request itself; a failed message must not undo it.
    deps.log.warn({ err: error, requestId: pending.requestId }, 'could not tell the requester the decision');
  }
}

/**
 * Replies of a request run on approval go in the approval message's thread, where everyone
 * involved sees them beside the request; without that message, into the channel.
 */
function inThread(deps: PipelineDeps, pending: PendingAction, fallback: Responder): Responder {
  const channel = pending.messageChannel;
  const threadTs = pending.messageTs;
  if (!channel || !threadTs)
    return { send: (message) => fallback.send({ ...message, visibility: 'in_channel' }) };
  return {
    async send(message) {
      const visible: Message = { ...message, visibility: 'in_channel' };
      let ref = await deps.notifier.post(channel, visible, { threadTs });
      return {
        get ref() {
          return ref;
        },
        async update(next) {
          ref = await deps.notifier.update(ref, { ...next, visibility: 'in_channel' });
        },
      };
    },
  };
}
