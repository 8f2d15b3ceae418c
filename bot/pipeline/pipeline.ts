import { randomUUID } from 'node:crypto';
import type { ModalView } from '@slack/types';
import type { AuditEntry } from '../../db/stores/auditStore.ts';
import type { PendingAction } from '../../db/stores/pendingStore.ts';
import { type Decision, decide } from '../../policies/decide.ts';
import { describeIssues } from '../config/describeIssues.ts';
import {
  AuditUnavailableError,
  ConflictError,
  DpbotError,
  errorMessage,
  InputError,
  NotAllowedError,
  NotFoundError,
  UpstreamError,
} from '../errors.ts';
import type { CallerRef } from '../identity.ts';
import type { Services } from '../services.ts';
import {
  CANCEL_ACTION,
  CONFIRM_ACTION,
  confirmationMessage,
  deniedMessage,
  failedMessage,
  invalidMessage,
  noticeMessage,
  RUN_ACTION,
} from '../views/common.ts';
import type { Caller, Command, CommandContext, Entry } from './defineCommand.ts';
import { mapArgs } from './mapArgs.ts';
import type { Message, MessageHandle, Responder } from './message.ts';
import { tokenize } from './tokenize.ts';

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
}

export interface ActionInvocation extends InvocationBase {
  actionId: string;
  value: string;
  /** The message the button was on, so the outcome can replace the buttons. */
  source?: MessageHandle;
}

/** What happened to a request, for callers that need to know (tests, the console, metrics). */
export type Outcome =
  | 'ok'
  | 'invalid'
  | 'denied'
  | 'awaiting_confirmation'
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

function acker(inv: InvocationBase): Acker {
  let acked = false;
  return {
    async say(message) {
      if (!acked && inv.ack) {
        acked = true;
        await inv.ack(message);
        return;
      }
      acked = true;
      if (message) await inv.responder.send(message);
    },
    async done() {
      if (!acked) {
        acked = true;
        await inv.ack?.();
      }
    },
  };
}

/**
 * The one path every entry point takes: parse → validate → identify → authorize → audit the
 * attempt → confirm when asked → run → audit the outcome → reply. Errors become replies and audit
 * rows here and nowhere else.
 */
export class CommandPipeline {
  private readonly services: Services;

  constructor(services: Services) {
    this.services = services;
  }

  async handleText(inv: TextInvocation): Promise<Outcome> {
    const requestId = inv.requestId ?? randomUUID();
    const started = performance.now();
    const ack = acker(inv);
    try {
      return await this.#handleText(inv, requestId, started, ack);
    } catch (error) {
      return this.#unexpected(ack, requestId, error);
    } finally {
      await ack.done();
    }
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

  async #handleText(inv: TextInvocation, requestId: string, started: number, ack: Acker): Promise<Outcome> {
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
      const tokens = tokenize(text);
      const resolved = this.services.registry.resolve(tokens);
      command = resolved.command;
      raw = mapArgs(resolved.rest, command.params, command.usage);
      const validated = command.validate(raw);
      if (!validated.ok) throw new InputError(describeIssues(validated.error).join('; '), command.usage);
      args = validated.args;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      invalid = error;
    }

    // Identify: even invalid input is recorded against the person who typed it.
    let caller: Caller;
    try {
      caller = await this.services.identity.resolve(inv.caller);
    } catch (error) {
      if (!(error instanceof DpbotError) || error instanceof InputError) throw error;
      const reason = errorMessage(error);
      const recorded = await this.#audit(ack, {
        ...base,
        command: command?.name ?? null,
        args: raw,
        action: command?.action ?? null,
        decision: 'deny',
        reason,
      });
      if (recorded) await ack.say(deniedMessage(reason));
      return recorded ? 'denied' : 'audit_unavailable';
    }
    base.email = caller.email;
    base.slackUserId = caller.slackUserId;

    if (invalid || !command) {
      const problem = invalid?.message ?? 'unknown command';
      const recorded = await this.#audit(ack, {
        ...base,
        command: command?.name ?? null,
        args: raw,
        action: command?.action ?? null,
        decision: 'invalid',
        reason: problem,
      });
      if (recorded) await ack.say(invalidMessage(problem, invalid?.usage));
      return recorded ? 'invalid' : 'audit_unavailable';
    }

    // Authorize.
    const action = command.action;
    let resource: string | null = null;
    let decision: Decision | null = null;
    if (action) {
      resource = command.resource(args);
      decision = decide(caller.grants, { action, resource, limits: command.limits(args) });
    }
    const attempt: AuditEntry = {
      ...base,
      command: command.name,
      args: raw,
      action: action ?? null,
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

    const ctx = this.#context(inv, requestId, caller, decision, command);

    // Confirm when the command asks.
    let confirmation: Awaited<ReturnType<Command['confirm']>>;
    try {
      confirmation = await command.confirm(args, ctx);
    } catch (error) {
      return this.#finish(ack, ctx, command, attempt, started, error);
    }
    if (confirmation) {
      const expiresAt = new Date(this.services.now().getTime() + this.services.config.confirmations.ttl);
      const pending = await this.services.pending.create({
        requestId,
        kind: 'confirm',
        command: command.name,
        commandText: text,
        args: raw,
        requesterEmail: caller.email,
        requesterSlackId: caller.slackUserId,
        channel: inv.channel ?? null,
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

    await ack.done();
    return this.#execute(ack, ctx, command, args, attempt, started);
  }

  /** A button press: run a command as the clicker, or answer a confirmation. */
  async handleAction(inv: ActionInvocation): Promise<Outcome> {
    if (inv.actionId === RUN_ACTION) {
      const { actionId: _a, value, source: _s, ...rest } = inv;
      return this.handleText({ ...rest, entry: 'button', text: value });
    }
    if (inv.actionId === CONFIRM_ACTION || inv.actionId === CANCEL_ACTION) {
      const ack = acker(inv);
      try {
        return await this.#answerConfirmation(inv, inv.actionId === CONFIRM_ACTION, ack);
      } catch (error) {
        return this.#unexpected(ack, inv.requestId ?? randomUUID(), error);
      } finally {
        await ack.done();
      }
    }
    const ack = acker(inv);
    await ack.say(
      invalidMessage(`this button (${inv.actionId}) is not one dpbot knows; it may be from an older version`),
    );
    return 'invalid';
  }

  async #answerConfirmation(inv: ActionInvocation, confirmed: boolean, ack: Acker): Promise<Outcome> {
    const started = performance.now();
    const pending = await this.services.pending.get(inv.value);
    if (!pending) {
      await ack.say(noticeMessage('This confirmation no longer exists. Run the command again.'));
      return 'not_found';
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
    let clicker: Caller;
    try {
      clicker = await this.services.identity.resolve(inv.caller);
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      if (
        await this.#audit(ack, {
          ...base,
          decision: 'deny',
          reason: error.message,
          outcome: 'confirmation_refused',
        })
      )
        await ack.say(deniedMessage(error.message));
      return 'denied';
    }
    base.email = clicker.email;
    base.slackUserId = clicker.slackUserId;

    if (clicker.email !== pending.requesterEmail) {
      const reason = `only ${pending.requesterEmail}, who asked for this, can confirm or cancel it`;
      if (await this.#audit(ack, { ...base, decision: 'deny', reason, outcome: 'confirmation_refused' }))
        await ack.say(deniedMessage(reason));
      return 'denied';
    }

    const result = await this.services.pending.decide(
      pending.id,
      confirmed ? 'confirmed' : 'cancelled',
      clicker.email,
    );
    if (!result.won) {
      const current = result.action ?? pending;
      if (current.status === 'pending') {
        // Past its deadline but not yet swept: expire it now, once.
        const expired = await this.services.pending.decide(current.id, 'expired', 'dpbot');
        if (expired.won) await this.#recordExpiry(expired.action);
        await ack.say(
          noticeMessage(
            `This confirmation expired at ${pending.expiresAt.toISOString()}. Run the command again.`,
          ),
        );
        return 'expired';
      }
      const when = current.decidedAt?.toISOString() ?? 'an earlier moment';
      await ack.say(
        noticeMessage(`Already ${current.status} by ${current.decidedBy ?? 'someone'} at ${when}.`),
      );
      return current.status === 'expired' ? 'expired' : 'conflict';
    }

    if (!confirmed) {
      if (!(await this.#audit(ack, { ...base, kind: 'outcome', outcome: 'cancelled' })))
        return 'audit_unavailable';
      const message = noticeMessage(`Cancelled: ${pending.summary}`);
      if (inv.source) await inv.source.update(message);
      else await ack.say(message);
      return 'cancelled';
    }

    // Confirmed: validate and authorize again, since grants or arguments' meaning may have moved.
    const command = this.services.registry.get(pending.command);
    const validated = command?.validate(pending.args as Record<string, unknown>);
    if (!command || !validated?.ok) {
      const problem = command
        ? 'its arguments are no longer valid'
        : `the command "${pending.command}" no longer exists`;
      await this.#audit(ack, { ...base, kind: 'outcome', outcome: 'invalid', error: problem });
      await ack.say(invalidMessage(`Not run: ${problem}. Run it again.`));
      return 'invalid';
    }
    const args = validated.args;
    let decision: Decision | null = null;
    let resource: string | null = null;
    if (command.action) {
      resource = command.resource(args);
      decision = decide(clicker.grants, { action: command.action, resource, limits: command.limits(args) });
    }
    const step: AuditEntry = {
      ...base,
      action: command.action ?? null,
      resource,
      decision: decision === null || decision.allowed ? 'allow' : 'deny',
      reason: decision?.reason ?? 'no grant needed',
      grantRef: decision?.grant ?? null,
      outcome: 'confirmed',
    };
    if (!(await this.#audit(ack, step))) return 'audit_unavailable';
    if (decision && !decision.allowed) {
      await this.#audit(ack, { ...step, kind: 'outcome', outcome: 'denied' });
      await ack.say(deniedMessage(this.#denial(command, resource ?? '*', decision.reason)));
      return 'denied';
    }
    await inv.source?.update(noticeMessage(`Confirmed by ${clicker.email}: ${pending.summary}`));
    await ack.done();
    const ctx = this.#context(
      { ...inv, channel: inv.channel ?? pending.channel },
      pending.requestId,
      clicker,
      decision,
      command,
    );
    return this.#execute(ack, ctx, command, args, step, started);
  }

  /** Marks overdue confirmations expired and records each; run periodically. */
  async expirePending(): Promise<PendingAction[]> {
    const expired = await this.services.pending.expireDue();
    for (const action of expired) await this.#recordExpiry(action);
    return expired;
  }

  async #recordExpiry(action: PendingAction): Promise<void> {
    try {
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
    } catch (error) {
      this.services.log.error(
        { err: error, requestId: action.requestId },
        'could not audit an expired confirmation',
      );
    }
  }

  async #execute(
    ack: Acker,
    ctx: CommandContext,
    command: Command,
    args: unknown,
    attempt: AuditEntry,
    started: number,
  ): Promise<Outcome> {
    let result: Message | undefined;
    try {
      result = await command.run(args, ctx);
    } catch (error) {
      return this.#finish(ack, ctx, command, attempt, started, error);
    }
    const durationMs = Math.round(performance.now() - started);
    try {
      await this.services.audit.append({ ...attempt, kind: 'outcome', outcome: 'ok', durationMs });
    } catch (error) {
      // The work is done and cannot be undone; say so rather than pretend it failed.
      ctx.log.error({ err: error }, 'command ran but its outcome could not be audited');
      if (result) await ack.say(result);
      await ack.say(
        failedMessage(
          'the command ran, but its outcome could not be written to the audit log; tell the dpbot administrators',
        ),
      );
      return 'audit_unavailable';
    }
    if (result) await ack.say(result);
    return 'ok';
  }

  async #finish(
    ack: Acker,
    ctx: CommandContext,
    command: Command,
    attempt: AuditEntry,
    started: number,
    error: unknown,
  ): Promise<Outcome> {
    const durationMs = Math.round(performance.now() - started);
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
                      `something went wrong inside dpbot (request ${ctx.requestId}); it has been logged`,
                    ),
                  ];
    if (outcome === 'error' && !(error instanceof UpstreamError))
      ctx.log.error({ err: error }, 'command failed');
    else ctx.log.warn({ err: error, outcome }, 'command did not complete');
    const recorded = await this.#audit(ack, {
      ...attempt,
      kind: 'outcome',
      outcome,
      error: errorMessage(error),
      durationMs,
    });
    if (recorded) await ack.say(message);
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

  #denial(command: Command, resource: string, reason: string): string {
    return `${command.name} needs the ${command.action} action on ${resource}, and ${reason}. Ask ${this.services.config.access.adminContact} for access.`;
  }

  #context(
    inv: InvocationBase,
    requestId: string,
    caller: Caller,
    decision: Decision | null,
    command: Command,
  ): CommandContext {
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
    };
  }
}
