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

/** The attempt's audit row as far as the arrival tells it: who Slack says asked, where, and what. */
function arrivalEntry(arrival: Arrival): AuditEntry {
  const { inv, requestId, text } = arrival;
  return {
    requestId,
    kind: 'attempt',
    entry: inv.entry,
    slackUserId: inv.caller.slackUserId ?? null,
    email: inv.caller.email?.toLowerCase() ?? null,
    channel: inv.channel ?? null,
    commandText: text,
  };
}

type Shape = ReturnType<typeof parsedShape>;

/**
 * Finds the directory user behind the request, and the attempt row with who they are. Someone
 * dpbot will not act for, or cannot identify, is audited and answered here: the outcome.
 */
async function identify(
  deps: PipelineDeps,
  arrival: Arrival,
  base: AuditEntry,
  shape: Shape,
): Promise<{ caller: Caller; base: AuditEntry } | Outcome> {
  const { inv, ack, requestId } = arrival;
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
    const outsider =
      error instanceof IdentityError
        ? { email: base.email ?? error.outsider.email ?? null, slackName: error.outsider.slackName ?? null }
        : {};
    if (!(await writeAudit(deps, ack, { ...base, ...outsider, ...shape, decision: 'deny', reason })))
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
  if (caller.notice) await ack.say(noticeMessage(caller.notice));
  return { caller, base: { ...base, email: caller.email, slackUserId: caller.slackUserId } };
}

/** Input that named no command or did not parse: audited as invalid and answered with the usage. */
async function refuseInvalid(
  deps: PipelineDeps,
  ack: Acker,
  parsed: Parsed,
  row: AuditEntry,
): Promise<Outcome> {
  const { invalid } = parsed;
  const problem = invalid?.message ?? 'unknown command';
  if (!(await writeAudit(deps, ack, { ...row, decision: 'invalid', reason: problem })))
    return 'audit_unavailable';
  await ack.say({
    ...invalidMessage(problem, invalid?.usage),
    ...(invalid?.fields ? { fieldErrors: invalid.fields } : {}),
  });
  return 'invalid';
}

/** Authorizes the command and writes the attempt row; a denial is answered here, as the outcome. */
async function recordAttempt(
  deps: PipelineDeps,
  ack: Acker,
  command: Command,
  parsed: Parsed,
  caller: Caller,
  row: AuditEntry,
): Promise<{ attempt: AuditEntry; decision: Decision | null } | Outcome> {
  const { decision, resource } = authorize(deps, command, parsed.args, caller);
  const attempt: AuditEntry = {
    ...row,
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
  return { attempt, decision };
}

/** Once-only actions (a button's key): the first request with the key proceeds; a later one is told who did it. */
async function claimOnce(
  deps: PipelineDeps,
  arrival: Arrival,
  caller: Caller,
  attempt: AuditEntry,
): Promise<{ onceKey: string | null } | Outcome> {
  const { inv, ack, requestId } = arrival;
  if (!inv.onceKey) return { onceKey: null };
  const claim = await deps.once.claim(inv.onceKey, requestId, caller.email);
  if (claim.won) return { onceKey: inv.onceKey };
  await writeAudit(deps, ack, {
    ...attempt,
    kind: 'outcome',
    outcome: 'duplicate',
    reason: `already done by ${claim.by}`,
  });
  await ack.say(noticeMessage(`Already done by ${claim.by} at ${formatTime(claim.at)}.`));
  return 'duplicate';
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
  const shape = parsedShape(parsed);
  // Identify first: even invalid input is recorded against the person who typed it.
  const identified = await identify(deps, arrival, arrivalEntry(arrival), shape);
  if (typeof identified === 'string') return identified;
  const { caller } = identified;
  const row: AuditEntry = { ...identified.base, ...shape };

  const { command } = parsed;
  if (parsed.invalid || !command) return refuseInvalid(deps, ack, parsed, row);

  // A name that does not exist is a typo to point out, not a denial (before authorizing).
  const unknown = await refuseUnknownNames(deps, ack, row, command, parsed.args, caller);
  if (unknown) return unknown;

  const attempted = await recordAttempt(deps, ack, command, parsed, caller, row);
  if (typeof attempted === 'string') return attempted;
  const { attempt, decision } = attempted;

  const claimed = await claimOnce(deps, arrival, caller, attempt);
  if (typeof claimed === 'string') return claimed;
  return {
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
    onceKey: claimed.onceKey,
  };
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
