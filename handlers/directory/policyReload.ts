import type { AccessStore, PolicyGrant } from '../../db/stores/accessStore.ts';
import {
  countChanges,
  grantGroupsOf,
  type PermissionDiff,
  permissionDiff,
  permissionDiffLines,
  permissionHeadline,
  policiesDiffer,
  policyDigest,
  removalProblem,
} from '../../policies/permissionDiff.ts';
import type { DirectoryDeps } from './deps.ts';
import { closeWaiting, holdForApproval, holdTitle, POLICIES_TARGET } from './holds.ts';

export interface PolicyChange {
  /** The grants the files state. */
  wanted: readonly PolicyGrant[];
  permissions: PermissionDiff;
  /** Whether the files differ from the running grants at all (a limit or origin counts). */
  changed: boolean;
  /** Whether they differ in anything but where each grant is written. */
  changedBeyondOrigin: boolean;
  /** How many grants run now (none: the first load of a new database). */
  running: number;
  digest: string;
}

/**
 * Compares policy grants with the running ones (as stored in PostgreSQL), each grant to a group
 * counted for the group's active members as the directory has them now.
 */
export async function planPolicyChange(
  access: Pick<AccessStore, 'allGrants' | 'groupMembers'>,
  wanted: readonly PolicyGrant[],
): Promise<PolicyChange> {
  const running = await access.allGrants();
  const stored = await access.groupMembers(grantGroupsOf(running, wanted));
  const members = new Map([...stored].map(([g, list]) => [g, list.map((m) => m.email)]));
  return {
    wanted,
    permissions: permissionDiff({ grants: running, members }, { grants: wanted, members }),
    changed: policiesDiffer(running, wanted),
    changedBeyondOrigin: policiesDiffer(running, wanted, false),
    running: running.length,
    digest: policyDigest(running, wanted),
  };
}

export type PolicyReloadResult =
  | { status: 'applied' | 'unchanged'; count: number; change: PolicyChange }
  | { status: 'held'; holdId: string; created: boolean; problem: string; change: PolicyChange };

type ReloadDeps = Pick<DirectoryDeps, 'access' | 'holds' | 'notifier' | 'config' | 'log' | 'audit'> & {
  policies: NonNullable<DirectoryDeps['policies']>;
};

/**
 * Replaces the running grants with the policy files, unless that takes away more than
 * access.removalGuard allows: then nothing changes and an admin is asked (once per exact change).
 * `approvedDigest` applies only the change an admin approved; anything else is held again.
 */
export async function reloadPolicies(
  deps: ReloadDeps,
  options: {
    requestedBy: string | null;
    trigger: string;
    force?: boolean;
    approved?: { holdId: string; digest: string; by: string };
  },
): Promise<PolicyReloadResult> {
  const change = await planPolicyChange(deps.access, await deps.policies.load());
  if (!change.changed) {
    await closeWaiting(deps, POLICIES_TARGET, 'no longer needed: the running grants are what the files say');
    return { status: 'unchanged', count: change.wanted.length, change };
  }
  const guard = deps.config.access.removalGuard;
  const tooMuch = removalProblem(change.permissions, guard);
  const moved = options.approved && options.approved.digest !== change.digest;
  const problem = moved
    ? 'the policy files or the running grants changed since this reload was held for approval, so the approved change no longer applies'
    : options.approved || options.force
      ? undefined
      : tooMuch;
  const counts = countChanges(change.permissions);
  if (problem) {
    const { hold, created } = await holdForApproval(deps, {
      target: POLICIES_TARGET,
      title: holdTitle(POLICIES_TARGET),
      digest: change.digest,
      requestedBy: options.requestedBy,
      trigger: options.trigger,
      problems: moved && tooMuch ? [problem, tooMuch] : [problem],
      headline: permissionHeadline(change.permissions),
      lines: permissionDiffLines(change.permissions),
      counts: { permissionsBefore: change.permissions.before, ...counts },
    });
    // Once per request: a restart that finds the same change held again asks and records nothing new.
    if (created)
      await deps.audit.append({
        requestId: crypto.randomUUID(),
        kind: 'event',
        entry: 'system',
        email: options.requestedBy,
        command: 'policies.reload',
        action: 'access.approve-removal',
        resource: 'policies:*',
        outcome: 'held',
        reason: problem,
        detail: { holdId: hold.id, approvalRequested: created, trigger: options.trigger, ...counts },
      });
    return { status: 'held', holdId: hold.id, created, problem, change };
  }
  const result = await deps.policies.replace(change.wanted);
  await closeWaiting(
    deps,
    POLICIES_TARGET,
    'no longer needed: the policy files were applied as they are now',
  );
  // A new database's first load takes nothing from anyone; every later change is on the record.
  if (change.running === 0 && !options.force && !options.approved)
    return { status: result.changed ? 'applied' : 'unchanged', count: result.count, change };
  await deps.audit.append({
    requestId: crypto.randomUUID(),
    kind: 'event',
    entry: 'system',
    email: options.approved?.by ?? options.requestedBy,
    command: 'policies.reload',
    action: 'access.approve-removal',
    resource: 'policies:*',
    outcome: 'ok',
    detail: {
      grants: result.count,
      trigger: options.trigger,
      forced: options.force ?? false,
      ...(options.approved ? { approvedHold: options.approved.holdId, approvedBy: options.approved.by } : {}),
      ...counts,
    },
  });
  return { status: result.changed ? 'applied' : 'unchanged', count: result.count, change };
}
