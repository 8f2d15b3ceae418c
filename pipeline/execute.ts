import {
  AuditUnavailableError,
  ConflictError,
  errorMessage,
  InputError,
  NotAllowedError,
  NotFoundError,
  UpstreamError,
} from '../core/errors.ts';
import type { Accepted } from './accepted.ts';
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
  try {
    await deps.audit.append({ ...accepted.audit, kind: 'outcome', outcome: 'ok', durationMs });
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

/**
 * Ends an accepted request that threw (in its confirm, approval or run): the error becomes the
 * outcome, its audit row and the reply.
 */
export async function finish(deps: PipelineDeps, accepted: Accepted, error: unknown): Promise<Outcome> {
  const { command, requestId } = accepted;
  const durationMs = Math.round(performance.now() - accepted.started);
  const [outcome, message]: [Outcome, Message] =
    error instanceof InputError
      ? ['rejected', invalidMessage(error.message, error.usage ?? command.usage)]
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
  // Nothing happened, so a once-only button may be pressed again.
  if (accepted.onceKey) await deps.once.release(accepted.onceKey);
  const recorded = await writeAudit(deps, accepted.ack, {
    ...accepted.audit,
    kind: 'outcome',
    outcome,
    error: errorMessage(error),
    durationMs,
  });
  if (recorded) await accepted.ack.say(message);
  return recorded ? outcome : 'audit_unavailable';
}
