import {
  AuditUnavailableError,
  ConflictError,
  errorMessage,
  InputError,
  NotAllowedError,
  NotFoundError,
  UpstreamError,
} from '../core/errors.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { Accepted, DoneStep } from './accepted.ts';
import type { CommandContext } from './defineCommand.ts';
import type { Outcome } from './invocation.ts';
import type { Message } from './message.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { deniedMessage, failedMessage, invalidMessage, notDoneMessage } from './views/common.ts';
import { writeAudit } from './writeAudit.ts';

/** Runs an accepted request, audits its outcome and replies with its result. */
export async function execute(deps: PipelineDeps, accepted: Accepted, ctx: CommandContext): Promise<Outcome> {
  let result: Message | undefined;
  try {
    result = await accepted.command.run(accepted.args, ctx);
  } catch (error) {
    return finish(deps, accepted, error);
  }
  const durationMs = Math.round(performance.now() - accepted.started);
  const recorded = await recordOutcome(deps, ctx.log, {
    ...accepted.audit,
    kind: 'outcome',
    outcome: 'ok',
    durationMs,
  });
  if (result) await accepted.ack.say(result);
  if (recorded === 'written') return 'ok';
  // The work is done and cannot be undone; say so rather than pretend it failed.
  await accepted.ack.say(
    failedMessage(
      recorded === 'held'
        ? 'the command ran, but the audit log cannot be written right now: dpbot keeps its outcome and writes it when the database is back. Tell the dpbot administrators if that takes long.'
        : 'the command ran, but its outcome could not be written to the audit log; tell the dpbot administrators',
    ),
  );
  return 'audit_unavailable';
}

/** Writes an outcome row, or has it held until the database answers (see AuditStore.appendOrHold). */
async function recordOutcome(
  deps: PipelineDeps,
  log: PipelineDeps['log'],
  entry: AuditEntry,
): Promise<'written' | 'held' | 'dropped'> {
  try {
    const recorded = await deps.audit.appendOrHold(entry);
    if ('written' in recorded) return 'written';
    log.error(
      { requestId: entry.requestId },
      `an outcome could not be audited; it was ${'held' in recorded ? 'held' : 'dropped'}`,
    );
    return 'held' in recorded ? 'held' : 'dropped';
  } catch (error) {
    log.error({ err: error, requestId: entry.requestId }, 'an outcome could not be audited');
    return 'dropped';
  }
}

/**
 * Ends an accepted request that threw (in its confirm, approval or run): the error becomes the
 * outcome, its audit row and the reply.
 */
export async function finish(deps: PipelineDeps, accepted: Accepted, error: unknown): Promise<Outcome> {
  const { command, requestId } = accepted;
  const durationMs = Math.round(performance.now() - accepted.started);
  const [outcome, message]: [Outcome, Message] =
    error instanceof InputError
      ? [
          'rejected',
          {
            ...invalidMessage(error.message, error.usage ?? command.usage),
            ...(error.fields ? { fieldErrors: error.fields } : {}),
          },
        ]
      : error instanceof NotAllowedError
        ? ['denied', deniedMessage(error.message)]
        : error instanceof NotFoundError
          ? ['not_found', notDoneMessage(error.message)]
          : error instanceof ConflictError
            ? ['conflict', notDoneMessage(error.message)]
            : error instanceof UpstreamError || error instanceof AuditUnavailableError
              ? ['error', failedMessage(error.message)]
              : [
                  'error',
                  failedMessage(
                    `something went wrong inside dpbot (request ${requestId}); it has been logged`,
                  ),
                ];
  const log = deps.log.child({ requestId, user: accepted.caller.email, command: command.name });
  // A refusal the caller was told about is routine; a failed dependency is worth a warning; a
  // failure inside dpbot is an error with its stack.
  if (outcome !== 'error') log.info({ outcome, reason: errorMessage(error) }, 'command refused');
  else if (error instanceof UpstreamError)
    log.warn({ err: error, outcome }, 'command failed in a dependency');
  else log.error({ err: error }, 'command failed');
  // Nothing happened, so a once-only button may be pressed again (not when a step was done).
  if (accepted.onceKey && !accepted.steps?.length) await deps.once.release(accepted.onceKey);
  const entry: AuditEntry = {
    ...accepted.audit,
    kind: 'outcome',
    outcome,
    error: errorMessage(error),
    durationMs,
  };
  const steps = accepted.steps ?? [];
  if (steps.length === 0) {
    // Nothing was done: a failure to record that is reported as such, and nothing else is said.
    const recorded = await writeAudit(deps, accepted.ack, entry);
    if (recorded) await accepted.ack.say(message);
    return recorded ? outcome : 'audit_unavailable';
  }
  // Part of the work is done (its steps are recorded, or held): the outcome must follow them into
  // the log, and the caller must hear what was done, not "not run".
  const recorded = await recordOutcome(deps, log, entry);
  if (recorded === 'written') {
    await accepted.ack.say(message);
    return outcome;
  }
  await accepted.ack.say(partlyDoneMessage(steps, errorMessage(error), recorded));
  return 'audit_unavailable';
}

/** What a request that failed after doing part of its work tells its caller. */
function partlyDoneMessage(
  steps: readonly DoneStep[],
  problem: string,
  recorded: 'held' | 'dropped',
): Message {
  const done = steps.map((s) => s.summary ?? s.outcome).join('; ');
  const record =
    recorded === 'held'
      ? 'The audit log cannot be written right now; dpbot keeps the record of what was done and writes it when the database is back.'
      : 'The audit log cannot be written right now, and the record of how this request ended was lost; tell the dpbot administrators.';
  return failedMessage(`done: ${done}. Then this request could not finish (${problem}). ${record}`);
}
