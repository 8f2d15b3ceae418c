import { errorMessage } from '../core/errors.ts';
import { nearOrContaining, suggestion } from '../core/suggest.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import { decide } from '../policies/decide.ts';
import type { Acker } from './acker.ts';
import type { Caller, Command, NamedResource } from './defineCommand.ts';
import type { Outcome } from './invocation.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { invalidMessage } from './views/common.ts';
import { writeAudit } from './writeAudit.ts';

/** The outcome an attempt naming something that does not exist is audited with. */
export const UNKNOWN_RESOURCE = 'unknown_resource';

/** How many of the names the caller may see are listed when none is near the typo. */
const LISTED = 10;

/**
 * Answers a request that names something dpbot does not know (`scale team-xx 8`) as unknown,
 * before authorization: otherwise a caller whose grant covers only some names would be told "Not
 * allowed, ask for access" for a typo. Suggestions and lists come only from the names the caller's
 * grants cover, so the answer shows nobody a name they could not see otherwise. The attempt is
 * audited as invalid. Returns the outcome when it answered, undefined when every name is known (or
 * cannot be checked now, which leaves it to the command).
 */
export async function refuseUnknownNames(
  deps: Pick<PipelineDeps, 'audit' | 'log'>,
  ack: Acker,
  attempt: AuditEntry,
  command: Command,
  args: unknown,
  caller: Caller,
): Promise<Outcome | undefined> {
  let named: readonly NamedResource[];
  try {
    named = await command.names(args, { caller, deps: undefined });
  } catch (error) {
    // A list that cannot be read now is no verdict on the name: the command finds out itself.
    deps.log.warn({ err: error, command: command.name }, `could not check the names: ${errorMessage(error)}`);
    return undefined;
  }
  const unknown = named.find((n) => n.known !== undefined && !n.known.includes(n.name));
  if (!unknown) return undefined;
  const problem = unknownMessage(unknown, command.action, caller);
  const recorded = await writeAudit(deps, ack, {
    ...attempt,
    resource: unknown.resource(unknown.name),
    decision: 'invalid',
    reason: problem,
    outcome: UNKNOWN_RESOURCE,
  });
  if (!recorded) return 'audit_unavailable';
  await ack.say(invalidMessage(problem, command.usage));
  return 'invalid';
}

function unknownMessage(named: NamedResource, commandAction: string | undefined, caller: Caller): string {
  const action = named.action ?? commandAction;
  const visible = (named.known ?? []).filter(
    (name) =>
      action === undefined || decide(caller.grants, { action, resource: named.resource(name) }).allowed,
  );
  // A few edits away, or a part of the name (`orders` for orders-api): what a tired memory keeps.
  const near = suggestion(nearOrContaining(named.name, visible, 2));
  const list =
    near === '' && visible.length > 0 && visible.length <= LISTED
      ? `; ${named.kind}s you may use: ${[...visible].sort().join(', ')}`
      : '';
  return `there is no ${named.kind} "${named.name}"${near}${list}${named.hint ? ` (${named.hint})` : ''}`;
}
