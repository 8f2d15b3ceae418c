import { z } from 'zod';
import type { DirectorySnapshot, SnapshotGroup, SnapshotUser } from './stores/directoryStore.ts';

// A snapshot is what the directory store compares and writes; sources produce it.
export type { DirectorySnapshot, SnapshotUser };

const email = z.email().transform((e) => e.toLowerCase());

/** The YAML/JSON shape of a file source. */
export const fileDirectorySchema = z.strictObject({
  users: z
    .array(
      z.strictObject({
        email,
        name: z.string().optional(),
        slackId: z.string().optional(),
        active: z.boolean().default(true),
      }),
    )
    .default([]),
  groups: z
    .array(
      z.strictObject({
        id: z
          .string()
          .regex(/^[A-Za-z0-9._@-]+$/, { error: 'expected letters, digits, ".", "_", "@" or "-"' }),
        name: z.string().optional(),
        members: z.array(email).default([]),
      }),
    )
    .default([]),
});

/** Members named only in a group are users too (active); duplicates are merged. */
export function normaliseSnapshot(snapshot: DirectorySnapshot): DirectorySnapshot {
  const users = new Map<string, SnapshotUser>();
  for (const u of snapshot.users) users.set(u.email.toLowerCase(), { ...u, email: u.email.toLowerCase() });
  const groups = new Map<string, SnapshotGroup>();
  for (const g of snapshot.groups) {
    const members = [...new Set(g.members.map((m) => m.toLowerCase()))].sort();
    for (const m of members) if (!users.has(m)) users.set(m, { email: m, active: true });
    const existing = groups.get(g.id);
    groups.set(g.id, {
      ...g,
      members: existing ? [...new Set([...existing.members, ...members])].sort() : members,
    });
  }
  return { users: [...users.values()], groups: [...groups.values()] };
}
