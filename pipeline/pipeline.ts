import { randomUUID } from 'node:crypto';
import type { ModalView } from '@slack/types';
import type { Logger } from 'pino';
import { describeIssues } from '../core/config/describeIssues.ts';
import {
  AuditUnavailableError,
  ConflictError,
  DpbotError,
  errorMessage,
  InputError,
  NotAllowedError,
  NotFoundError,
  UpstreamError,
} from '../core/errors.ts';
import { formatTime } from '../core/time.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { PendingAction } from '../db/stores/pendingStore.ts';
import { type Approval, type Decision, decide } from '../policies/decide.ts';
import type { Caller, Command, CommandContext, Entry } from './defineCommand.ts';
import type { CallerRef } from './identity.ts';
import { mapArgs } from './mapArgs.ts';
import type { Message, MessageHandle, Responder } from './message.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { tokenize } from './tokenize.ts';
import {
  APPROVE_ACTION,
  approvalMessage,
  CANCEL_ACTION,
  CONFIRM_ACTION,
  confirmationMessage,
  DENY_ACTION,
  deniedMessage,
  failedMessage,
  invalidMessage,
  noticeMessage,
  RUN_ACTION,
  VIEW_ACTION,
} from './views/common.ts';

interface InvocationBase {
  requestId?: string;
  entry: Entry;
  caller: CallerRef;
  channel?: string | null;
  responder: Responder;
  /**
   * Slack's acknowledgement, which must come within 3 seconds. The pipeline calls it exactly
   * once: as soon as the attempt is recorded, carrying the reply when the answer is immediate
   * (a validation error, a denial, a confirmation question).
   */
  ack?: (message?: Message) => Promise<void>;
  /** Opens a modal (Slack, with the request's trigger_id); absent where there are none. */
  openModal?: (view: ModalView) => Promise<void>;
}

export interface TextInvocation extends InvocationBase {
  /** The command text after `/dp`: `scale team-x 8 --reason "backlog"`. */
  text: string;
  /**
   * Set for actions that must happen once (a button on a message): the first request with this
   * key runs; later ones are told who did it and when. Freed if the action does not happen.
   */
  onceKey?: string;
}

export interface ActionInvocation extends InvocationBase {
  actionId: string;
  value: string;
  /** The message the button was on, so the outcome can replace the buttons. */
  source?: MessageHandle;
  /** Identifies this button on this message (channel, message, block, action), for once-only buttons. */
  buttonKey?: string;
}

/** What happened to a request, for callers that need to know (tests, the console, metrics). */
export type Outcome =
  | 'ok'
  | 'invalid'
  | 'denied'
  | 'duplicate'
  | 'awaiting_confirmation'
  | 'awaiting_approval'
  | 'approval_recorded'
  | 'cancelled'
  | 'expired'
  | 'rejected'
  | 'not_found'
  | 'conflict'
  | 'error'
  | 'audit_unavailable';

interface Acker {
  /** Acknowledges (once); later calls send the message through the responder instead. */
  say(message?: Message): Promise<void>;
  done(): Promise<void>;
}

/**
 * Replies never decide what happened: a reply that cannot be delivered (an expired response URL,
 * Slack down) is logged, and the request's outcome — already audited — stands.
 */
function acker(inv: InvocationBase, log: Logger): Acker {
  let acked = false;
  const deliver = async (what: string, send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      log.warn({ err: error, requestId: inv.requestId }, `could not deliver the ${what}`);
    }
  };
  return {
    async say(message) {
      if (!acked && inv.ack) {
        acked = true;
        const ack = inv.ack;
        await deliver('acknowledgement', () => ack(message));
        return;
      }
      acked = true;
      if (message) await deliver('reply', () => inv.responder.send(message));
    },
    async done() {
      if (!acked) {
        acked = true;
        const ack = inv.ack;
        if (ack) await deliver('acknowledgement', () => ack());
      }
    },
  };
}

/** A validated, authorized request on its way to running: everything later steps need. */
interface Accepted {
  inv: InvocationBase;
  ack: Acker;
  requestId: string;
  text: string;
  caller: Caller;
  command: Command;
  args: unknown;
  raw: Record<string, unknown>;
  decision: Decision | null;
  /** The audit row fields shared by every row of this request. */
  audit: AuditEntry;
  started: number;
  onceKey: string | null;
}

/**
 * The one path every entry point takes: parse → validate → identify → authorize → audit the
 * attempt → confirm / approve when asked → run → audit the outcome → reply. Errors become
 * replies and audit rows here and nowhere else.
 */
export class CommandPipeline {
  private readonly services: PipelineDeps;
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(services: PipelineDeps) {
    this.services = services;
  }

  /** Requests being handled now (for graceful shutdown). */
  get inflight(): number {
    return this.#inflight.size;
  }

  /**
   * Waits for the requests in progress to finish (their outcomes are audited), at most
   * `timeoutMs`; resolves true when none is left.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inflight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inflight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    return this.#inflight.size === 0;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work)).catch(() => undefined);
    return work;
  }

  handleText(inv: TextInvocation): Promise<Outcome> {
    return this.#track(this.#handleTextSafely(inv));
  }

  async #handleTextSafely(inv: TextInvocation): Promise<Outcome> {
    const requestId = inv.requestId ?? randomUUID();
    const ack = acker(inv, this.services.log);
    const stat = { command: 'unknown' };
    let outcome: Outcome = 'error';
    try {
      outcome = await this.#handleText(inv, requestId, performance.now(), ack, stat);
      return outcome;
    } catch (error) {
      return this.#unexpected(ack, requestId, error);
    } finally {
      this.services.metrics.commandFinished(stat.command, outcome);
      await ack.done();
    }
  }

  /** A button press: run a command as the clicker, or answer a confirmation or an approval. */
  handleAction(inv: ActionInvocation): Promise<Outcome> {
    return this.#track(this.#handleAction(inv));
  }

  async #handleAction(inv: ActionInvocation): Promise<Outcome> {
    const { actionId, value, source: _source, buttonKey, ...base } = inv;
    if (actionId === RUN_ACTION || actionId === VIEW_ACTION) {
      return this.#handleTextSafely({
        ...base,
        entry: 'button',
        text: value,
        // Run buttons act once per message; view buttons (pages, refresh) may be pressed again.
        ...(actionId === RUN_ACTION && buttonKey ? { onceKey: `button:${buttonKey}` } : {}),
      });
    }
    const ack = acker(inv, this.services.log);
    try {
      if (actionId === CONFIRM_ACTION || actionId === CANCEL_ACTION) {
        return await this.#answerConfirmation(inv, actionId === CONFIRM_ACTION, ack);
      }
      if (actionId === APPROVE_ACTION || actionId === DENY_ACTION) {
        return await this.#answerApproval(inv, actionId === APPROVE_ACTION, ack);
      }
      await ack.say(
        invalidMessage(`this button (${actionId}) is not one dpbot knows; it may be from an older version`),
      );
      return 'invalid';
    } catch (error) {
      return this.#unexpected(ack, inv.requestId ?? randomUUID(), error);
    } finally {
      await ack.done();
    }
  }

  /** Marks overdue confirmations and approvals expired and records each; run periodically. */
  async expirePending(): Promise<PendingAction[]> {
    const expired = await this.services.pending.expireDue();
    for (const action of expired) await this.#recordExpiry(action);
    return expired;
  }

  /**
   * Anything not turned into a reply on the way (the database gone, a bug): fail closed, tell the
   * caller plainly, keep the details in the log.
   */
  async #unexpected(ack: Acker, requestId: string, error: unknown): Promise<Outcome> {
    this.services.log.error({ err: error, requestId }, 'request failed before it could be handled');
    try {
      await ack.say(
        failedMessage(
          `dpbot could not handle this request (request ${requestId}), so nothing was done. ` +
            'It may be unable to reach its database; try again in a minute, and tell the dpbot administrators if it persists.',
        ),
      );
    } catch (replyError) {
      this.services.log.error({ err: replyError, requestId }, 'could not tell the caller about the failure');
    }
    return 'error';
  }

  async #handleText(
    inv: TextInvocation,
    requestId: string,
    started: number,
    ack: Acker,
    stat: { command: string },
  ): Promise<Outcome> {
    const text = inv.text.trim() === '' ? 'help' : inv.text.trim();
    const base: AuditEntry = {
      requestId,
      kind: 'attempt',
      entry: inv.entry,
      slackUserId: inv.caller.slackUserId ?? null,
      email: inv.caller.email?.toLowerCase() ?? null,
      channel: inv.channel ?? null,
      commandText: text,
    };

    // Parse and validate: pure, no I/O.
    let command: Command | undefined;
    let raw: Record<string, unknown> = {};
    let args: unknown;
    let invalid: InputError | undefined;
    try {
      const resolved = this.services.registry.resolve(tokenize(text));
      command = resolved.command;
      stat.command = command.name;
      raw = mapArgs(resolved.rest, command.params, command.usage);
      const validated = command.validate(raw);
      if (!validated.ok) throw new InputError(describeIssues(validated.error).join('; '), command.usage);
      args = validated.args;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      invalid = error;
    }
    const shape = { command: command?.name ?? null, args: raw, action: command?.action ?? null };

    // Identify: even invalid input is recorded against the person who typed it.
    let caller: Caller;
    try {
      caller = await this.services.identity.resolve(inv.caller);
    } catch (error) {
      if (!(error instanceof DpbotError) || error instanceof InputError) throw error;
      const reason = errorMessage(error);
      if (!(await this.#audit(ack, { ...base, ...shape, decision: 'deny', reason })))
        return 'audit_unavailable';
      // Not knowing who asked fails closed; but a lookup that failed is no verdict on the person.
      await ack.say(
        error instanceof UpstreamError
          ? failedMessage(
              `dpbot could not tell who you are (${reason}), so nothing was done. Try again in a minute.`,
            )
          : deniedMessage(reason),
      );
      return error instanceof UpstreamError ? 'error' : 'denied';
    }
    base.email = caller.email;
    base.slackUserId = caller.slackUserId;

    if (invalid || !command) {
      const problem = invalid?.message ?? 'unknown command';
      if (!(await this.#audit(ack, { ...base, ...shape, decision: 'invalid', reason: problem })))
        return 'audit_unavailable';
      await ack.say(invalidMessage(problem, invalid?.usage));
      return 'invalid';
    }

    // Authorize.
    const { decision, resource } = this.#authorize(command, args, caller);
    const attempt: AuditEntry = {
      ...base,
      ...shape,
      resource,
      decision: decision === null || decision.allowed ? 'allow' : 'deny',
      reason: decision?.reason ?? 'no grant needed',
      grantRef: decision?.grant ?? null,
    };
    if (!(await this.#audit(ack, attempt))) return 'audit_unavailable';
    if (decision && !decision.allowed) {
      await ack.say(deniedMessage(this.#denial(command, resource ?? '*', decision.reason)));
      return 'denied';
    }

    const accepted: Accepted = {
      inv,
      ack,
      requestId,
      text,
      caller,
      command,
      args,
      raw,
      decision,
      audit: attempt,
      started,
      onceKey: null,
    };

    // Once-only actions: the first request with the key proceeds.
    if (inv.onceKey) {
      const claim = await this.services.once.claim(inv.onceKey, requestId, caller.email);
      if (!claim.won) {
        await this.#audit(ack, {
          ...attempt,
          kind: 'outcome',
          outcome: 'duplicate',
          reason: `already done by ${claim.by}`,
        });
        await ack.say(noticeMessage(`Already done by ${claim.by} at ${formatTime(claim.at)}.`));
        return 'duplicate';
      }
      accepted.onceKey = inv.onceKey;
    }

    // Confirm when the command asks.
    const ctx = this.#context(accepted);
    let confirmation: Awaited<ReturnType<Command['confirm']>>;
    try {
      confirmation = await command.confirm(args, ctx);
    } catch (error) {
      return this.#finish(accepted, error);
    }
    if (confirmation) {
      const expiresAt = this.#expiry();
      const pending = await this.services.pending.create({
        ...this.#pendingFields(accepted),
        kind: 'confirm',
        summary: confirmation.summary,
        expiresAt,
      });
      const asked = await this.#audit(ack, {
        ...attempt,
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
        }),
      );
      return 'awaiting_confirmation';
    }
    return this.#afterConfirmation(accepted, ctx);
  }

  /** Past any confirmation: ask for approval when a grant or the command requires it, else run. */
  async #afterConfirmation(accepted: Accepted, ctx: CommandContext): Promise<Outcome> {
    let approval: Approval | null;
    try {
      approval = accepted.decision?.allowed ? accepted.decision.approval : null;
      approval ??= await accepted.command.approval(accepted.args, ctx);
    } catch (error) {
      return this.#finish(accepted, error);
    }
    if (approval) return this.#requestApproval(accepted, approval);
    await accepted.ack.done();
    return this.#execute(accepted, ctx);
  }

  async #requestApproval(accepted: Accepted, approval: Approval): Promise<Outcome> {
    const { ack, caller, audit } = accepted;
    const expiresAt = this.#expiry();
    const pending = await this.services.pending.create({
      ...this.#pendingFields(accepted),
      kind: 'approval',
      summary: accepted.text,
      approverGroup: approval.group,
      approvalsNeeded: approval.count,
      expiresAt,
    });
    const asked = await this.#audit(ack, {
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
    if (handle.ref) await this.services.pending.setMessage(pending.id, handle.ref);
    return 'awaiting_approval';
  }

  async #answerConfirmation(inv: ActionInvocation, confirmed: boolean, ack: Acker): Promise<Outcome> {
    const answer = await this.#loadAnswer(inv, ack, 'confirm');
    if ('outcome' in answer) return answer.outcome;
    const { pending, clicker, base } = answer;

    if (clicker.email !== pending.requesterEmail) {
      const reason = `only ${pending.requesterEmail}, who asked for this, can confirm or cancel it`;
      if (await this.#audit(ack, { ...base, decision: 'deny', reason, outcome: 'confirmation_refused' }))
        await ack.say(deniedMessage(reason));
      return 'denied';
    }
    const settled = await this.#settle(pending, confirmed ? 'confirmed' : 'cancelled', clicker.email, ack);
    if (settled) return settled;
    if (!confirmed)
      return this.#closed(inv, ack, base, pending, 'cancelled', `Cancelled: ${pending.summary}`);

    const accepted = await this.#reaccept(inv, ack, pending, clicker, base, 'confirmed');
    if (!accepted) return 'denied';
    await inv.source?.update(noticeMessage(`Confirmed by ${clicker.email}: ${pending.summary}`));
    return this.#afterConfirmation(accepted, this.#context(accepted));
  }

  async #answerApproval(inv: ActionInvocation, approve: boolean, ack: Acker): Promise<Outcome> {
    const answer = await this.#loadAnswer(inv, ack, 'approval');
    if ('outcome' in answer) return answer.outcome;
    const { pending, clicker, base } = answer;
    const group = pending.approverGroup ?? '';

    if (clicker.email === pending.requesterEmail) {
      if (approve) {
        const reason = 'you cannot approve your own request: another member of the approver group must';
        if (await this.#audit(ack, { ...base, decision: 'deny', reason, outcome: 'approval_refused' }))
          await ack.say(deniedMessage(reason));
        return 'denied';
      }
      // The requester may withdraw.
      const settled = await this.#settle(pending, 'cancelled', clicker.email, ack);
      if (settled) return settled;
      return this.#closed(
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
      if (await this.#audit(ack, { ...base, decision: 'deny', reason, outcome: 'approval_refused' }))
        await ack.say(deniedMessage(reason));
      return 'denied';
    }
    if (!approve) {
      const settled = await this.#settle(pending, 'denied', clicker.email, ack);
      if (settled) return settled;
      return this.#closed(
        inv,
        ack,
        base,
        pending,
        'denied',
        `Denied by ${clicker.email}: ${pending.commandText}`,
      );
    }

    const vote = await this.services.pending.approve(pending.id, clicker.email);
    if (
      !(await this.#audit(ack, {
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
    const settled = await this.#settle(pending, 'approved', clicker.email, ack);
    if (settled) return settled;

    // Run as the requester, as they are now: still in the directory, still granted.
    let requester: Caller;
    try {
      requester = await this.services.identity.resolve({ email: pending.requesterEmail });
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      await this.#audit(ack, { ...base, kind: 'outcome', outcome: 'denied', error: error.message });
      await ack.say(deniedMessage(`approved, but not run: ${error.message}`));
      return 'denied';
    }
    const accepted = await this.#reaccept(
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
    return this.#execute(accepted, this.#context(accepted));
  }

  /** The pending action a button refers to and the person who pressed it, or the reply already given. */
  async #loadAnswer(
    inv: ActionInvocation,
    ack: Acker,
    kind: PendingAction['kind'],
  ): Promise<{ pending: PendingAction; clicker: Caller; base: AuditEntry } | { outcome: Outcome }> {
    const pending = await this.services.pending.get(inv.value);
    if (!pending || pending.kind !== kind) {
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
      const clicker = await this.services.identity.resolve(inv.caller);
      return { pending, clicker, base: { ...base, email: clicker.email, slackUserId: clicker.slackUserId } };
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      if (
        await this.#audit(ack, {
          ...base,
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
   * outcome already replied to when someone (or expiry) got there first.
   */
  async #settle(
    pending: PendingAction,
    to: 'confirmed' | 'cancelled' | 'approved' | 'denied',
    by: string,
    ack: Acker,
  ): Promise<Outcome | undefined> {
    const result = await this.services.pending.decide(pending.id, to, by);
    if (result.won) return undefined;
    const current = result.action ?? pending;
    if (current.status === 'pending') {
      // Past its deadline but not yet swept: expire it now, once.
      const expired = await this.services.pending.decide(current.id, 'expired', 'dpbot');
      if (expired.won) await this.#recordExpiry(expired.action);
      await ack.say(
        noticeMessage(`This request expired at ${formatTime(pending.expiresAt)}. Run the command again.`),
      );
      return 'expired';
    }
    const when = current.decidedAt ? formatTime(current.decidedAt) : 'an earlier moment';
    await ack.say(
      noticeMessage(`Already ${current.status} by ${current.decidedBy ?? 'someone'} at ${when}.`),
    );
    return current.status === 'expired' ? 'expired' : 'conflict';
  }

  /** Records the end of a request that will not run (cancelled, denied) and says so where it was asked. */
  async #closed(
    inv: ActionInvocation,
    ack: Acker,
    base: AuditEntry,
    pending: PendingAction,
    outcome: 'cancelled' | 'denied',
    text: string,
  ): Promise<Outcome> {
    if (pending.onceKey) await this.services.once.release(pending.onceKey);
    if (!(await this.#audit(ack, { ...base, kind: 'outcome', outcome }))) return 'audit_unavailable';
    const message = noticeMessage(text, 'in_channel');
    if (inv.source) await inv.source.update(message);
    else await ack.say(message);
    return outcome === 'denied' ? 'denied' : 'cancelled';
  }

  /**
   * Validates and authorizes a pending request again before it runs: the grants, the directory or
   * the meaning of its arguments may have changed while it waited.
   */
  async #reaccept(
    inv: InvocationBase,
    ack: Acker,
    pending: PendingAction,
    caller: Caller,
    base: AuditEntry,
    step: 'confirmed' | 'approved',
  ): Promise<Accepted | undefined> {
    const command = this.services.registry.get(pending.command);
    const validated = command?.validate(pending.args as Record<string, unknown>);
    if (!command || !validated?.ok) {
      const problem = command
        ? 'its arguments are no longer valid'
        : `the command "${pending.command}" no longer exists`;
      if (pending.onceKey) await this.services.once.release(pending.onceKey);
      await this.#audit(ack, { ...base, kind: 'outcome', outcome: 'invalid', error: problem });
      await ack.say(invalidMessage(`${problem}; run it again`));
      return undefined;
    }
    const { decision, resource } = this.#authorize(command, validated.args, caller);
    const audit: AuditEntry = {
      ...base,
      action: command.action ?? null,
      resource,
      decision: decision === null || decision.allowed ? 'allow' : 'deny',
      reason: decision?.reason ?? 'no grant needed',
      grantRef: decision?.grant ?? null,
    };
    if (!(await this.#audit(ack, { ...audit, outcome: step }))) return undefined;
    if (decision && !decision.allowed) {
      if (pending.onceKey) await this.services.once.release(pending.onceKey);
      await this.#audit(ack, { ...audit, kind: 'outcome', outcome: 'denied' });
      await ack.say(deniedMessage(this.#denial(command, resource ?? '*', decision.reason)));
      return undefined;
    }
    return {
      inv: { ...inv, channel: inv.channel ?? pending.channel },
      ack,
      requestId: pending.requestId,
      text: pending.commandText,
      caller,
      command,
      args: validated.args,
      raw: pending.args as Record<string, unknown>,
      decision,
      audit,
      started: performance.now(),
      onceKey: pending.onceKey,
    };
  }

  async #recordExpiry(action: PendingAction): Promise<void> {
    try {
      if (action.onceKey) await this.services.once.release(action.onceKey);
      await this.services.audit.append({
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
        await this.services.notifier.update(
          { channel: action.messageChannel, ts: action.messageTs },
          noticeMessage(`Expired unanswered: ${action.commandText}`, 'in_channel'),
        );
      }
    } catch (error) {
      this.services.log.error(
        { err: error, requestId: action.requestId },
        'could not record an expired request',
      );
    }
  }

  async #execute(accepted: Accepted, ctx: CommandContext): Promise<Outcome> {
    let result: Message | undefined;
    try {
      result = await accepted.command.run(accepted.args, ctx);
    } catch (error) {
      return this.#finish(accepted, error);
    }
    const durationMs = Math.round(performance.now() - accepted.started);
    try {
      await this.services.audit.append({ ...accepted.audit, kind: 'outcome', outcome: 'ok', durationMs });
    } catch (error) {
      // The work is done and cannot be undone; say so rather than pretend it failed.
      ctx.log.error({ err: error }, 'command ran but its outcome could not be audited');
      if (result) await accepted.ack.say(result);
      await accepted.ack.say(
        failedMessage(
          'the command ran, but its outcome could not be written to the audit log; tell the dpbot administrators',
        ),
      );
      return 'audit_unavailable';
    }
    if (result) await accepted.ack.say(result);
    return 'ok';
  }

  async #finish(accepted: Accepted, error: unknown): Promise<Outcome> {
    const { command, requestId } = accepted;
    const durationMs = Math.round(performance.now() - accepted.started);
    const [outcome, message]: [Outcome, Message] =
      error instanceof InputError
        ? ['rejected', invalidMessage(error.message, error.usage ?? command.usage)]
        : error instanceof NotAllowedError
          ? ['denied', deniedMessage(error.message)]
          : error instanceof NotFoundError
            ? ['not_found', failedMessage(error.message)]
            : error instanceof ConflictError
              ? ['conflict', failedMessage(error.message)]
              : error instanceof UpstreamError || error instanceof AuditUnavailableError
                ? ['error', failedMessage(error.message)]
                : [
                    'error',
                    failedMessage(
                      `something went wrong inside dpbot (request ${requestId}); it has been logged`,
                    ),
                  ];
    const log = this.services.log.child({ requestId, user: accepted.caller.email, command: command.name });
    // A refusal the caller was told about is routine; a failed dependency is worth a warning; a
    // failure inside dpbot is an error with its stack.
    if (outcome !== 'error') log.info({ outcome, reason: errorMessage(error) }, 'command refused');
    else if (error instanceof UpstreamError)
      log.warn({ err: error, outcome }, 'command failed in a dependency');
    else log.error({ err: error }, 'command failed');
    // Nothing happened, so a once-only button may be pressed again.
    if (accepted.onceKey) await this.services.once.release(accepted.onceKey);
    const recorded = await this.#audit(accepted.ack, {
      ...accepted.audit,
      kind: 'outcome',
      outcome,
      error: errorMessage(error),
      durationMs,
    });
    if (recorded) await accepted.ack.say(message);
    return recorded ? outcome : 'audit_unavailable';
  }

  /** Writes an audit row; when that fails the caller is told and false is returned so nothing runs. */
  async #audit(ack: Acker, entry: AuditEntry): Promise<boolean> {
    try {
      await this.services.audit.append(entry);
      return true;
    } catch (error) {
      this.services.log.error({ err: error, requestId: entry.requestId }, 'audit write failed');
      await ack.say(
        failedMessage(
          'not run: the audit log cannot be written right now, and dpbot does nothing it cannot record. Try again in a minute; if it persists, tell the dpbot administrators.',
        ),
      );
      return false;
    }
  }

  #authorize(
    command: Command,
    args: unknown,
    caller: Caller,
  ): { decision: Decision | null; resource: string | null } {
    if (!command.action) return { decision: null, resource: null };
    const resource = command.resource(args);
    const decision = decide(caller.grants, {
      action: command.action,
      resource,
      limits: command.limits(args),
    });
    this.services.metrics.decision(command.action, decision.allowed);
    return { decision, resource };
  }

  #denial(command: Command, resource: string, reason: string): string {
    return `${command.name} needs the ${command.action} action on ${resource}, and ${reason}. Ask ${this.services.config.access.adminContact} for access.`;
  }

  #expiry(): Date {
    return new Date(this.services.now().getTime() + this.services.config.confirmations.ttl);
  }

  #pendingFields(accepted: Accepted) {
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

  #context(accepted: Accepted): CommandContext {
    const { inv, requestId, caller, decision, command } = accepted;
    return {
      requestId,
      entry: inv.entry,
      channel: inv.channel ?? null,
      caller,
      decision,
      services: this.services,
      log: this.services.log.child({ requestId, user: caller.email, command: command.name }),
      reply: (message) => inv.responder.send(message),
      openModal: async (view) => {
        if (!inv.openModal) return false;
        await inv.openModal(view);
        return true;
      },
      may: (action, resource, limits) =>
        decide(caller.grants, { action, resource, limits: limits ?? {} }).allowed,
      auditStep: async (step) => {
        await this.services.audit.append({
          requestId,
          kind: 'step',
          entry: inv.entry,
          email: caller.email,
          slackUserId: caller.slackUserId,
          channel: inv.channel ?? null,
          command: command.name,
          ...step,
        });
      },
    };
  }
}

/** Replies of a request run on approval go where everyone involved can see them. */
function channelVisible(responder: Responder): Responder {
  return { send: (message) => responder.send({ ...message, visibility: 'in_channel' }) };
}
