import { randomUUID } from 'node:crypto';
import { NotAllowedError } from '../core/errors.ts';
import { formatTime } from '../core/time.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { PendingAction } from '../db/stores/pendingStore.ts';
import type { Accepted } from './accepted.ts';
import type { Acker } from './acker.ts';
import type { Caller } from './defineCommand.ts';
import { IdentityError } from './identity.ts';
import type { ActionInvocation, Outcome } from './invocation.ts';
import type { Message } from './message.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { deniedMessage, noticeMessage } from './views/common.ts';
import { writeAudit } from './writeAudit.ts';

/** When a question asked now stops waiting for its answer. */
export function expiry(deps: Pick<PipelineDeps, 'now' | 'config'>): Date {
  return new Date(deps.now().getTime() + deps.config.confirmations.ttl);
}

/** The fields of a pending action that come from the request waiting on it. */
export function pendingFields(accepted: Accepted) {
  return {
    requestId: accepted.requestId,
    command: accepted.command.name,
    commandText: accepted.text,
    args: accepted.raw,
    requesterEmail: accepted.caller.email,
    requesterSlackId: accepted.caller.slackUserId,
    channel: accepted.inv.channel ?? null,
    onceKey: accepted.onceKey,
  };
}

/**
 * A click dpbot cannot tie to anything (a button of an older version, a pending request that does
 * not exist): answered, and recorded like any other attempt, since a stream of them is itself news.
 */
export function auditUnknownClick(
  deps: Pick<PipelineDeps, 'audit' | 'log'>,
  inv: ActionInvocation,
  ack: Acker,
  outcome: 'not_found' | 'unknown_action',
  reason: string,
): Promise<boolean> {
  return writeAudit(deps, ack, {
    requestId: inv.requestId ?? randomUUID(),
    kind: 'outcome',
    entry: inv.entry,
    slackUserId: inv.caller.slackUserId ?? null,
    email: inv.caller.email?.toLowerCase() ?? null,
    channel: inv.channel ?? null,
    command: 'button',
    commandText: `button ${inv.actionId}`,
    args: { actionId: inv.actionId, value: inv.value },
    decision: 'invalid',
    reason,
    outcome,
  });
}

/** The pending action a button refers to and the person who pressed it, or the reply already given. */
export async function loadAnswer(
  deps: PipelineDeps,
  inv: ActionInvocation,
  ack: Acker,
  kind: PendingAction['kind'],
): Promise<{ pending: PendingAction; clicker: Caller; base: AuditEntry } | { outcome: Outcome }> {
  const pending = await deps.pending.get(inv.value);
  if (!pending || pending.kind !== kind) {
    const reason = `no ${kind === 'confirm' ? 'confirmation' : 'approval'} ${inv.value} is waiting`;
    if (await auditUnknownClick(deps, inv, ack, 'not_found', reason))
      await ack.say(noticeMessage('This request no longer exists. Run the command again.'));
    return { outcome: 'not_found' };
  }
  const base: AuditEntry = {
    requestId: pending.requestId,
    kind: 'step',
    entry: inv.entry,
    slackUserId: inv.caller.slackUserId ?? null,
    email: inv.caller.email?.toLowerCase() ?? null,
    channel: inv.channel ?? pending.channel,
    command: pending.command,
    commandText: pending.commandText,
    args: pending.args,
  };
  try {
    const clicker = await deps.identity.resolve(inv.caller);
    return { pending, clicker, base: { ...base, email: clicker.email, slackUserId: clicker.slackUserId } };
  } catch (error) {
    if (!(error instanceof NotAllowedError)) throw error;
    const told = error instanceof IdentityError ? error.outsider : {};
    if (
      await writeAudit(deps, ack, {
        ...base,
        email: base.email ?? told.email ?? null,
        slackName: told.slackName ?? null,
        decision: 'deny',
        reason: error.message,
        outcome: `${kind}_refused`,
      })
    )
      await ack.say(deniedMessage(error.message));
    return { outcome: 'denied' };
  }
}

/**
 * Moves the pending action out of `pending`. Returns undefined when this click did it, or the
 * outcome already replied to when someone (or expiry) got there first; `decidedBefore`, when
 * given, answers a click that came after someone else's decision instead of the plain notice.
 */
export async function settle(
  deps: PipelineDeps,
  pending: PendingAction,
  to: 'confirmed' | 'cancelled' | 'approved' | 'denied',
  by: string,
  ack: Acker,
  decidedBefore?: (current: PendingAction) => Promise<Outcome>,
): Promise<Outcome | undefined> {
  const result = await deps.pending.decide(pending.id, to, by);
  if (result.won) return undefined;
  const current = result.action ?? pending;
  if (current.status === 'pending') {
    // Past its deadline but not yet swept: expire it now, once.
    const expired = await deps.pending.decide(current.id, 'expired', 'dpbot');
    if (expired.won) await recordExpiry(deps, expired.action);
    await ack.say(
      noticeMessage(`This request expired at ${formatTime(pending.expiresAt)}. Run the command again.`),
    );
    return 'expired';
  }
  if (decidedBefore && current.status !== 'expired') return decidedBefore(current);
  const when = current.decidedAt ? formatTime(current.decidedAt) : 'an earlier moment';
  await ack.say(noticeMessage(`Already ${current.status} by ${current.decidedBy ?? 'someone'} at ${when}.`));
  return current.status === 'expired' ? 'expired' : 'conflict';
}

/** Records the end of a request that will not run (cancelled, denied) and says so where it was asked. */
export async function closed(
  deps: PipelineDeps,
  inv: ActionInvocation,
  ack: Acker,
  base: AuditEntry,
  pending: PendingAction,
  outcome: 'cancelled' | 'denied',
  said: string | Message,
): Promise<Outcome> {
  if (pending.onceKey) await deps.once.release(pending.onceKey);
  if (!(await writeAudit(deps, ack, { ...base, kind: 'outcome', outcome }))) return 'audit_unavailable';
  const message = typeof said === 'string' ? noticeMessage(said, 'in_channel') : said;
  if (inv.source) await inv.source.update(message);
  else await ack.say(message);
  return outcome === 'denied' ? 'denied' : 'cancelled';
}

/** Marks overdue confirmations and approvals expired and records each. */
export async function expirePending(deps: PipelineDeps): Promise<PendingAction[]> {
  const expired = await deps.pending.expireDue();
  for (const action of expired) await recordExpiry(deps, action);
  return expired;
}

async function recordExpiry(deps: PipelineDeps, action: PendingAction): Promise<void> {
  try {
    if (action.onceKey) await deps.once.release(action.onceKey);
    await deps.audit.append({
      requestId: action.requestId,
      kind: 'outcome',
      entry: 'system',
      email: action.requesterEmail,
      slackUserId: action.requesterSlackId,
      channel: action.channel,
      command: action.command,
      commandText: action.commandText,
      args: action.args,
      outcome: 'expired',
      reason: `not answered by ${action.expiresAt.toISOString()}`,
    });
    if (action.messageChannel && action.messageTs) {
      await deps.notifier.update(
        { channel: action.messageChannel, ts: action.messageTs },
        noticeMessage(`Expired unanswered: ${action.commandText}`, 'in_channel'),
      );
    }
  } catch (error) {
    deps.log.error({ err: error, requestId: action.requestId }, 'could not record an expired request');
  }
}
