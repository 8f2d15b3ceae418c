import { DpbotError, errorMessage, InputError, UpstreamError } from '../core/errors.ts';
import { formatTime } from '../core/time.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { PendingAction } from '../db/stores/pendingStore.ts';
import { type Decision, decide } from '../policies/decide.ts';
import type { Accepted } from './accepted.ts';
import type { Acker } from './acker.ts';
import type { Caller, Command } from './defineCommand.ts';
import { IdentityError } from './identity.ts';
import type { InvocationBase, Outcome, TextInvocation } from './invocation.ts';
import { refuseUnknownNames } from './knownNames.ts';
import { type Parsed, parsedShape } from './parse.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { deniedMessage, failedMessage, invalidMessage, noticeMessage } from './views/common.ts';
import { writeAudit } from './writeAudit.ts';

/** The request as it arrived, before anyone is known to be behind it. */
export interface Arrival {
  inv: TextInvocation;
  ack: Acker;
  requestId: string;
  text: string;
  started: number;
}

/**
 * Lets a parsed request in, or answers it: identifies the caller, records invalid input against
 * them, authorizes, audits the attempt and claims a once-only key. Returns the accepted request,
 * or the outcome already replied to.
 */
export async function admit(
  deps: PipelineDeps,
  arrival: Arrival,
  parsed: Parsed,
): Promise<Accepted | Outcome> {
  const { inv, ack, requestId, text } = arrival;
  const base: AuditEntry = {
    requestId,
    kind: 'attempt',
    entry: inv.entry,
    slackUserId: inv.caller.slackUserId ?? null,
    email: inv.caller.email?.toLowerCase() ?? null,
    channel: inv.channel ?? null,
    commandText: text,
  };
  const shape = parsedShape(parsed);

  // Identify: even invalid input is recorded against the person who typed it.
  let caller: Caller;
  try {
    caller = await deps.identity.resolve(inv.caller, {
      requestId,
      entry: inv.entry,
      channel: inv.channel ?? null,
    });
  } catch (error) {
    if (!(error instanceof DpbotError) || error instanceof InputError) throw error;
    const reason = errorMessage(error);
    // Someone dpbot will not act for is recorded with what Slack told about them, so that
    // `audit <@U…>` or their name finds the attempt.
    if (error instanceof IdentityError) {
      base.email ??= error.outsider.email ?? null;
      base.slackName = error.outsider.slackName ?? null;
    }
    if (!(await writeAudit(deps, ack, { ...base, ...shape, decision: 'deny', reason })))
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
  if (caller.notice) await ack.say(noticeMessage(caller.notice));

  const { command, invalid } = parsed;
  if (invalid || !command) {
    const problem = invalid?.message ?? 'unknown command';
    if (!(await writeAudit(deps, ack, { ...base, ...shape, decision: 'invalid', reason: problem })))
      return 'audit_unavailable';
    await ack.say({
      ...invalidMessage(problem, invalid?.usage),
      ...(invalid?.fields ? { fieldErrors: invalid.fields } : {}),
    });
    return 'invalid';
  }

  // A name that does not exist is a typo to point out, not a denial (before authorizing).
  const unknown = await refuseUnknownNames(deps, ack, { ...base, ...shape }, command, parsed.args, caller);
  if (unknown) return unknown;

  const { decision, resource } = authorize(deps, command, parsed.args, caller);
  const attempt: AuditEntry = {
    ...base,
    ...shape,
    resource,
    decision: decision === null || decision.allowed ? 'allow' : 'deny',
    reason: decision?.reason ?? 'no grant needed',
    grantRef: decision?.grant ?? null,
  };
  if (!(await writeAudit(deps, ack, attempt))) return 'audit_unavailable';
  if (decision && !decision.allowed) {
    await ack.say(deniedMessage(denial(deps, command, resource ?? '*', decision.reason)));
    return 'denied';
  }

  const accepted: Accepted = {
    inv,
    ack,
    requestId,
    text,
    caller,
    command,
    args: parsed.args,
    raw: parsed.raw,
    decision,
    audit: attempt,
    started: arrival.started,
    onceKey: null,
  };

  // Once-only actions: the first request with the key proceeds.
  if (inv.onceKey) {
    const claim = await deps.once.claim(inv.onceKey, requestId, caller.email);
    if (!claim.won) {
      await writeAudit(deps, ack, {
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
  return accepted;
}

/**
 * Validates and authorizes a pending request again before it runs: the grants, the directory or
 * the meaning of its arguments may have changed while it waited.
 */
export async function reaccept(
  deps: PipelineDeps,
  inv: InvocationBase,
  ack: Acker,
  pending: PendingAction,
  caller: Caller,
  base: AuditEntry,
  step: 'confirmed' | 'approved',
): Promise<Accepted | undefined> {
  const command = deps.registry.get(pending.command);
  const validated = command?.validate(pending.args as Record<string, unknown>);
  if (!command || !validated?.ok) {
    const problem = command
      ? 'its arguments are no longer valid'
      : `the command "${pending.command}" no longer exists`;
    if (pending.onceKey) await deps.once.release(pending.onceKey);
    await writeAudit(deps, ack, { ...base, kind: 'outcome', outcome: 'invalid', error: problem });
    await ack.say(invalidMessage(`${problem}; run it again`));
    return undefined;
  }
  const { decision, resource } = authorize(deps, command, validated.args, caller);
  const audit: AuditEntry = {
    ...base,
    action: command.action ?? null,
    resource,
    decision: decision === null || decision.allowed ? 'allow' : 'deny',
    reason: decision?.reason ?? 'no grant needed',
    grantRef: decision?.grant ?? null,
  };
  if (!(await writeAudit(deps, ack, { ...audit, outcome: step }))) return undefined;
  if (decision && !decision.allowed) {
    if (pending.onceKey) await deps.once.release(pending.onceKey);
    await writeAudit(deps, ack, { ...audit, kind: 'outcome', outcome: 'denied' });
    await ack.say(deniedMessage(denial(deps, command, resource ?? '*', decision.reason)));
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

/** The caller's grants against what the command needs; null when it needs no grant. */
function authorize(
  deps: Pick<PipelineDeps, 'metrics'>,
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
  deps.metrics.decision(command.action, decision.allowed);
  return { decision, resource };
}

function denial(
  deps: Pick<PipelineDeps, 'config'>,
  command: Command,
  resource: string,
  reason: string,
): string {
  return `${command.name} needs the ${command.action} action on ${resource}, and ${reason}. Ask ${deps.config.access.adminContact} for access.`;
}
