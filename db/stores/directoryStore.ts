import { type SQL, sql } from 'drizzle-orm';
import type { DirectorySnapshot, SnapshotGroup, SnapshotUser } from '../../policies/directory/snapshot.ts';
import type { Db } from '../connect.ts';

export type Membership = readonly [group: string, email: string];

/** What applying a snapshot of one source would change. Group names are full (`file:oncall`). */
export interface DirectoryDiff {
  source: string;
  usersAdded: SnapshotUser[];
  usersChanged: SnapshotUser[];
  usersRemoved: string[];
  groupsAdded: SnapshotGroup[];
  groupsChanged: SnapshotGroup[];
  groupsRemoved: string[];
  membershipsAdded: Membership[];
  membershipsRemoved: Membership[];
  /** What the source had before, so guards can judge the size of a removal. */
  before: { users: number; groups: number; memberships: number };
  /** Groups that had members and would have none (emptied or removed), for the guards. */
  emptiedGroups: string[];
  /** Rows inserted, updated or deleted by applying it (0 for a dry run or an empty difference). */
  written: number;
}

export function diffIsEmpty(d: DirectoryDiff): boolean {
  return (
    d.usersAdded.length +
      d.usersChanged.length +
      d.usersRemoved.length +
      d.groupsAdded.length +
      d.groupsChanged.length +
      d.groupsRemoved.length +
      d.membershipsAdded.length +
      d.membershipsRemoved.length ===
    0
  );
}

export interface SyncOptions {
  dryRun?: boolean;
  /** Called with the difference before anything is written; throwing refuses the sync. */
  guard?: (diff: DirectoryDiff) => void | Promise<void>;
}

export interface DirectoryStore {
  /** Compares the snapshot with what is stored for the source and applies the difference in one transaction. */
  sync(source: string, snapshot: DirectorySnapshot, options?: SyncOptions): Promise<DirectoryDiff>;
}

const groupName = (source: string, id: string) => `${source}:${id}`;
const SYNC_LOCK_NAMESPACE = 0x6470_7379; // "dpsy"

export class PgDirectoryStore implements DirectoryStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async sync(source: string, snapshot: DirectorySnapshot, options: SyncOptions = {}): Promise<DirectoryDiff> {
    return this.db.transaction(async (tx) => {
      // One sync per source at a time, across replicas.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SYNC_LOCK_NAMESPACE}, hashtext(${source}))`);
      const diff = await computeDiff(tx, source, snapshot);
      await options.guard?.(diff);
      if (!options.dryRun && !diffIsEmpty(diff)) diff.written = await applyDiff(tx, diff);
      return diff;
    });
  }
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

async function computeDiff(tx: Tx, source: string, snapshot: DirectorySnapshot): Promise<DirectoryDiff> {
  // One connection serves the transaction, so these run one after the other.
  const userRows = await tx.execute<{
    email: string;
    name: string | null;
    slack_user_id: string | null;
    external_id: string | null;
    active: boolean;
  }>(
    sql`SELECT u.email, u.name, u.slack_user_id, s.external_id, s.active
          FROM user_sources s JOIN users u ON u.id = s.user_id WHERE s.source = ${source}`,
  );
  const groupRows = await tx.execute<{ name: string; display_name: string | null }>(
    sql`SELECT name, display_name FROM groups WHERE source = ${source}`,
  );
  const memberRows = await tx.execute<{ group_name: string; email: string }>(
    sql`SELECT g.name AS group_name, u.email FROM memberships m
          JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
          WHERE m.source = ${source}`,
  );

  const storedUsers = new Map(userRows.rows.map((r) => [r.email, r]));
  const wantedUsers = new Map(snapshot.users.map((u) => [u.email, u]));
  const usersAdded: SnapshotUser[] = [];
  const usersChanged: SnapshotUser[] = [];
  for (const u of wantedUsers.values()) {
    const s = storedUsers.get(u.email);
    if (!s) usersAdded.push(u);
    else if (
      (u.name !== undefined && u.name !== s.name) ||
      (u.slackUserId !== undefined && u.slackUserId !== s.slack_user_id) ||
      (u.externalId ?? null) !== s.external_id ||
      u.active !== s.active
    )
      usersChanged.push(u);
  }
  const usersRemoved = [...storedUsers.keys()].filter((e) => !wantedUsers.has(e));

  const storedGroups = new Map(groupRows.rows.map((r) => [r.name, r]));
  const wantedGroups = new Map(snapshot.groups.map((g) => [groupName(source, g.id), g]));
  const groupsAdded: SnapshotGroup[] = [];
  const groupsChanged: SnapshotGroup[] = [];
  for (const [name, g] of wantedGroups) {
    const s = storedGroups.get(name);
    if (!s) groupsAdded.push(g);
    else if ((g.displayName ?? null) !== s.display_name) groupsChanged.push(g);
  }
  const groupsRemoved = [...storedGroups.keys()].filter((n) => !wantedGroups.has(n));

  const key = (g: string, e: string) => `${g}\u0000${e}`;
  const storedMembers = new Set(memberRows.rows.map((r) => key(r.group_name, r.email)));
  const wantedMembers = new Set<string>();
  const membershipsAdded: Membership[] = [];
  for (const [name, g] of wantedGroups) {
    for (const email of g.members) {
      const k = key(name, email);
      wantedMembers.add(k);
      if (!storedMembers.has(k)) membershipsAdded.push([name, email]);
    }
  }
  const storedSizes = new Map<string, number>();
  for (const r of memberRows.rows) storedSizes.set(r.group_name, (storedSizes.get(r.group_name) ?? 0) + 1);
  const emptiedGroups = [...storedSizes.keys()].filter(
    (n) => (wantedGroups.get(n)?.members.length ?? 0) === 0,
  );
  const membershipsRemoved: Membership[] = memberRows.rows
    .filter((r) => !wantedMembers.has(key(r.group_name, r.email)))
    .map((r) => [r.group_name, r.email] as const);

  return {
    source,
    usersAdded,
    usersChanged,
    usersRemoved,
    groupsAdded,
    groupsChanged,
    groupsRemoved,
    membershipsAdded,
    membershipsRemoved,
    before: { users: storedUsers.size, groups: storedGroups.size, memberships: storedMembers.size },
    emptiedGroups,
    written: 0,
  };
}

const texts = (values: readonly (string | null | undefined)[]) => sql.param(values.map((v) => v ?? null));

async function applyDiff(tx: Tx, d: DirectoryDiff): Promise<number> {
  let written = 0;
  const run = async (query: SQL) => {
    written += (await tx.execute(query)).rowCount ?? 0;
  };
  const upserts = [...d.usersAdded, ...d.usersChanged];
  if (upserts.length) {
    await run(sql`
      INSERT INTO users (email, name, slack_user_id)
      SELECT * FROM unnest(${texts(upserts.map((u) => u.email))}::text[],
                           ${texts(upserts.map((u) => u.name))}::text[],
                           ${texts(upserts.map((u) => u.slackUserId))}::text[])
      ON CONFLICT (email) DO UPDATE SET
        name = COALESCE(EXCLUDED.name, users.name),
        slack_user_id = COALESCE(EXCLUDED.slack_user_id, users.slack_user_id),
        updated_at = now()
      WHERE users.name IS DISTINCT FROM COALESCE(EXCLUDED.name, users.name)
         OR users.slack_user_id IS DISTINCT FROM COALESCE(EXCLUDED.slack_user_id, users.slack_user_id)`);
    await run(sql`
      INSERT INTO user_sources (user_id, source, external_id, active)
      SELECT u.id, ${d.source}, x.external_id, x.active
      FROM unnest(${texts(upserts.map((u) => u.email))}::text[],
                  ${texts(upserts.map((u) => u.externalId))}::text[],
                  ${sql.param(upserts.map((u) => u.active))}::boolean[]) AS x(email, external_id, active)
      JOIN users u ON u.email = x.email
      ON CONFLICT (user_id, source) DO UPDATE SET
        external_id = EXCLUDED.external_id, active = EXCLUDED.active, updated_at = now()`);
  }
  if (d.usersRemoved.length) {
    await run(sql`
      DELETE FROM user_sources s USING users u
      WHERE s.user_id = u.id AND s.source = ${d.source} AND u.email = ANY(${texts(d.usersRemoved)}::text[])`);
  }
  const groupUpserts = [...d.groupsAdded, ...d.groupsChanged];
  if (groupUpserts.length) {
    await run(sql`
      INSERT INTO groups (name, source, external_id, display_name)
      SELECT x.name, ${d.source}, x.external_id, x.display_name
      FROM unnest(${texts(groupUpserts.map((g) => groupName(d.source, g.id)))}::text[],
                  ${texts(groupUpserts.map((g) => g.id))}::text[],
                  ${texts(groupUpserts.map((g) => g.displayName))}::text[]) AS x(name, external_id, display_name)
      ON CONFLICT (name) DO UPDATE SET display_name = EXCLUDED.display_name, updated_at = now()`);
  }
  if (d.groupsRemoved.length) {
    await run(
      sql`DELETE FROM groups WHERE source = ${d.source} AND name = ANY(${texts(d.groupsRemoved)}::text[])`,
    );
  }
  if (d.membershipsRemoved.length) {
    await run(sql`
      DELETE FROM memberships m
      USING unnest(${texts(d.membershipsRemoved.map((m) => m[0]))}::text[],
                   ${texts(d.membershipsRemoved.map((m) => m[1]))}::text[]) AS x(group_name, email),
            groups g, users u
      WHERE g.name = x.group_name AND u.email = x.email AND m.group_id = g.id AND m.user_id = u.id`);
  }
  if (d.membershipsAdded.length) {
    await run(sql`
      INSERT INTO memberships (group_id, user_id, source)
      SELECT g.id, u.id, ${d.source}
      FROM unnest(${texts(d.membershipsAdded.map((m) => m[0]))}::text[],
                  ${texts(d.membershipsAdded.map((m) => m[1]))}::text[]) AS x(group_name, email)
      JOIN groups g ON g.name = x.group_name JOIN users u ON u.email = x.email
      ON CONFLICT DO NOTHING`);
  }
  return written;
}
