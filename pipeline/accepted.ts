import { AuditUnavailableError } from '../core/errors.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import { type Decision, decide } from '../policies/decide.ts';
import type { Acker } from './acker.ts';
import type { Caller, Command, CommandContext } from './defineCommand.ts';
import type { InvocationBase } from './invocation.ts';
import type { PipelineDeps } from './pipelineDeps.ts';

/** A validated, authorized request on its way to running: everything later steps need. */
export interface Accepted {
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
  /** Steps recorded so far (ctx.auditStep): what the request had done, should it fail later. */
  steps?: DoneStep[];
}

export interface DoneStep {
  outcome: string;
  summary?: string | undefined;
  /** The audit log could not take it yet; it is held and written when the database answers. */
  held: boolean;
}

/**
 * What the command's confirm, approval and run see. `deps` is the pipeline's own deps: a
 * capability's bound commands replace it with theirs (see bindCommand).
 */
export function commandContext(deps: PipelineDeps, accepted: Accepted): CommandContext {
  const { inv, requestId, caller, decision, command } = accepted;
  return {
    requestId,
    entry: inv.entry,
    channel: inv.channel ?? null,
    caller,
    decision,
    deps,
    log: deps.log.child({ requestId, user: caller.email, command: command.name }),
    reply: (message) => inv.responder.send(message),
    openModal: async (view) => {
      if (!inv.openModal) return false;
      return inv.openModal(view);
    },
    may: (action, resource, limits) =>
      decide(caller.grants, { action, resource, limits: limits ?? {} }).allowed,
    auditStep: async (step, options = {}) => {
      const entry = {
        requestId,
        kind: 'step' as const,
        entry: inv.entry,
        email: caller.email,
        slackUserId: caller.slackUserId,
        channel: inv.channel ?? null,
        command: command.name,
        ...step,
      };
      let held = false;
      if (options.happened) {
        const recorded = await deps.audit.appendOrHold(entry);
        if ('dropped' in recorded)
          throw new AuditUnavailableError(
            'the audit log could not be written, nor the row kept to write later',
          );
        held = 'held' in recorded;
      } else await deps.audit.append(entry);
      accepted.steps ??= [];
      accepted.steps.push({ outcome: step.outcome, summary: options.summary, held });
    },
  };
}
