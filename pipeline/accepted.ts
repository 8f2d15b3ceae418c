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
}

/**
 * What the command's confirm, approval and run see. `services` is the pipeline's own deps: a
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
    services: deps,
    log: deps.log.child({ requestId, user: caller.email, command: command.name }),
    reply: (message) => inv.responder.send(message),
    openModal: async (view) => {
      if (!inv.openModal) return false;
      await inv.openModal(view);
      return true;
    },
    may: (action, resource, limits) =>
      decide(caller.grants, { action, resource, limits: limits ?? {} }).allowed,
    auditStep: async (step) => {
      await deps.audit.append({
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
