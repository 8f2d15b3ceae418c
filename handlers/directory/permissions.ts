import type { AccessStore } from '../../db/stores/accessStore.ts';
import { digestOf, type PermissionDiff, permissionDiff } from '../../policies/permissionDiff.ts';
import type { DirectoryDiff } from './stores/directoryStore.ts';

/**
 * Who gains and who loses which permission if this directory difference is applied: the running
 * grants, with the members of the groups they name as stored now and as they would be after.
 * Read before the difference is written.
 */
export async function syncPermissionDiff(
  access: Pick<AccessStore, 'allGrants' | 'groupMembers'>,
  d: DirectoryDiff,
): Promise<PermissionDiff> {
  const grants = await access.allGrants();
  const named = [...new Set(grants.flatMap((g) => (g.subject.kind === 'group' ? [g.subject.name] : [])))];
  const stored = await access.groupMembers(named);
  const before = new Map<string, string[]>();
  const after = new Map<string, Set<string>>();
  for (const name of named) {
    const emails = (stored.get(name) ?? []).map((m) => m.email);
    before.set(name, emails);
    after.set(name, new Set(emails));
  }
  const inactive = new Set([
    ...d.usersAdded.filter((u) => !u.active).map((u) => u.email),
    ...d.usersChanged.filter((u) => !u.active).map((u) => u.email),
  ]);
  for (const [group, email] of d.membershipsRemoved) after.get(group)?.delete(email);
  for (const [group, email] of d.membershipsAdded) if (!inactive.has(email)) after.get(group)?.add(email);
  for (const members of after.values()) for (const email of inactive) members.delete(email);
  return permissionDiff(
    { grants, members: before },
    { grants, members: new Map([...after].map(([g, m]) => [g, [...m]])) },
  );
}

/** Names one directory difference exactly: an approval applies this one or none. */
export function syncDigest(d: DirectoryDiff): string {
  return digestOf([
    `source ${d.source}`,
    ...d.usersAdded.map((u) => `+u ${u.email} ${u.active}`),
    ...d.usersChanged.map((u) => `~u ${u.email} ${u.active} ${u.name ?? ''} ${u.slackUserId ?? ''}`),
    ...d.usersRemoved.map((e) => `-u ${e}`),
    ...d.groupsAdded.map((g) => `+g ${g.id}`),
    ...d.groupsChanged.map((g) => `~g ${g.id} ${g.displayName ?? ''}`),
    ...d.groupsRemoved.map((g) => `-g ${g}`),
    ...d.membershipsAdded.map(([g, e]) => `+m ${g} ${e}`),
    ...d.membershipsRemoved.map(([g, e]) => `-m ${g} ${e}`),
  ]);
}
