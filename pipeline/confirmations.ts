import { type Accepted, commandContext } from './accepted.ts';
import type { Acker } from './acker.ts';
import { reaccept } from './admit.ts';
import { afterConfirmation } from './approvals.ts';
import type { CommandContext, Confirmation } from './defineCommand.ts';
import { finish } from './execute.ts';
import type { ActionInvocation, Outcome } from './invocation.ts';
import { closed, expiry, loadAnswer, pendingFields, settle } from './pendingRequests.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { confirmationMessage, deniedMessage, noticeMessage } from './views/common.ts';
import { writeAudit } from './writeAudit.ts';

/** Asks the caller to confirm when the command wants it; otherwise goes on to approval and running. */
export async function askConfirmation(
  deps: PipelineDeps,
  accepted: Accepted,
  ctx: CommandContext,
): Promise<Outcome> {
  const { ack, command, args, audit, text } = accepted;
  let confirmation: Confirmation | null;
  try {
    confirmation = await command.confirm(args, ctx);
  } catch (error) {
    return finish(deps, accepted, error);
  }
  if (!confirmation) return afterConfirmation(deps, accepted, ctx);
  const expiresAt = expiry(deps);
  const pending = await deps.pending.create({
    ...pendingFields(accepted),
    kind: 'confirm',
    summary: confirmation.summary,
    expiresAt,
  });
  const asked = await writeAudit(deps, ack, {
    ...audit,
    kind: 'step',
    outcome: 'confirmation_requested',
    detail: { pendingId: pending.id, summary: confirmation.summary, expiresAt: expiresAt.toISOString() },
  });
  if (!asked) return 'audit_unavailable';
  await ack.say(
    confirmationMessage({
      pendingId: pending.id,
      summary: confirmation.summary,
      details: confirmation.details ?? [],
      commandText: text,
      expiresAt,
      ...(confirmation.destructive !== undefined ? { destructive: confirmation.destructive } : {}),
    }),
  );
  return 'awaiting_confirmation';
}

/** A Confirm or Cancel click, which only the requester may give. */
export async function answerConfirmation(
  deps: PipelineDeps,
  inv: ActionInvocation,
  confirmed: boolean,
  ack: Acker,
): Promise<Outcome> {
  const answer = await loadAnswer(deps, inv, ack, 'confirm');
  if ('outcome' in answer) return answer.outcome;
  const { pending, clicker, base } = answer;

  if (clicker.email !== pending.requesterEmail) {
    const reason = `only ${pending.requesterEmail}, who asked for this, can confirm or cancel it`;
    if (await writeAudit(deps, ack, { ...base, decision: 'deny', reason, outcome: 'confirmation_refused' }))
      await ack.say(deniedMessage(reason));
    return 'denied';
  }
  const settled = await settle(deps, pending, confirmed ? 'confirmed' : 'cancelled', clicker.email, ack);
  if (settled) return settled;
  if (!confirmed) return closed(deps, inv, ack, base, pending, 'cancelled', `Cancelled: ${pending.summary}`);

  const accepted = await reaccept(deps, inv, ack, pending, clicker, base, 'confirmed');
  if (!accepted) return 'denied';
  await inv.source?.update(noticeMessage(`Confirmed by ${clicker.email}: ${pending.summary}`));
  return afterConfirmation(deps, accepted, commandContext(deps, accepted));
}
