import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../db/connect.ts';
import { loadMembershipsInBulk } from './loadMembershipsInBulk.ts';

/** Everything one directory source says, fetched in full before anything is compared or written. */
export interface DirectorySnapshot {
  users: SnapshotUser[];
  groups: SnapshotGroup[];
  /** What the source wants an operator to know (members it could not match to an e-mail). */
  notes?: string[];
}

export interface SnapshotUser {
  email: string;
  name?: string | undefined;
  slackUserId?: string | undefined;
  externalId?: string | undefined;
  active: boolean;
}

export interface SnapshotGroup {
  /** The id or handle; the stored group name is `<source>:<id>`. */
  id: string;
  displayName?: string | undefined;
  /** Member e-mails. */
  members: string[];
}

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

export interface PgDirectoryStoreOptions {
  /**
   * From how many new memberships a sync into an empty memberships table loads them in bulk
   * (loadMembershipsInBulk); below it the index and key rebuilds would cost more than they save.
   */
  bulkLoadFrom?: number;
}

export class PgDirectoryStore implements DirectoryStore {
  private readonly db: Db;
  private readonly bulkLoadFrom: number;

  constructor(db: Db, options: PgDirectoryStoreOptions = {}) {
    this.db = db;
    this.bulkLoadFrom = options.bulkLoadFrom ?? 20_000;
  }

  async sync(source: string, snapshot: DirectorySnapshot, options: SyncOptions = {}): Promise<DirectoryDiff> {
    return this.db.transaction(async (tx) => {
      // One sync per source at a time, across replicas.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SYNC_LOCK_NAMESPACE}, hashtext(${source}))`);
      const { diff, removedIds } = await computeDiff(tx, source, snapshot);
      await options.guard?.(diff);
      if (!options.dryRun && !diffIsEmpty(diff))
        diff.written = await applyDiff(tx, diff, removedIds, this.bulkLoadFrom);
      return diff;
    });
  }
}

/** A membership as one number: group id in the high bits, user id in the low 32 (ids are serials). */
const pairKey = (groupId: number, userId: number) => groupId * 2 ** 32 + userId;
/** Statements of at most this many rows, so no parameter grows without bound. */
const BATCH = 50_000;

function* batches<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += BATCH) yield items.slice(i, i + BATCH);
}

/**
 * Reads what the source has stored — memberships as ids aggregated per group, which is far
 * cheaper to transfer and compare than one row of names per membership — and compares it with
 * the snapshot. Returns the difference by name (for people) and the removed memberships by id
 * (for the DELETE).
 */
async function computeDiff(
  tx: Tx,
  source: string,
  snapshot: DirectorySnapshot,
): Promise<{ diff: DirectoryDiff; removedIds: { groups: number[]; users: number[] } }> {
  // One connection serves the transaction, so these run one after the other.
  const userRows = await tx.execute<{
    id: number;
    email: string;
    name: string | null;
    slack_user_id: string | null;
    external_id: string | null;
    active: boolean;
  }>(
    sql`SELECT u.id, u.email, u.name, u.slack_user_id, s.external_id, s.active
          FROM user_sources s JOIN users u ON u.id = s.user_id WHERE s.source = ${source}`,
  );
  const groupRows = await tx.execute<{ id: number; name: string; display_name: string | null }>(
    sql`SELECT id, name, display_name FROM groups WHERE source = ${source}`,
  );
  const memberRows = await tx.execute<{ group_id: number; user_ids: string }>(
    sql`SELECT group_id, string_agg(user_id::text, ',') AS user_ids FROM memberships
          WHERE source = ${source} GROUP BY group_id`,
  );

  const storedUsers = new Map(userRows.rows.map((r) => [r.email, r]));
  const emailById = new Map(userRows.rows.map((r) => [r.id, r.email]));
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
  const groupNameById = new Map(groupRows.rows.map((r) => [r.id, r.name]));
  const wantedGroups = new Map(snapshot.groups.map((g) => [groupName(source, g.id), g]));
  const groupsAdded: SnapshotGroup[] = [];
  const groupsChanged: SnapshotGroup[] = [];
  for (const [name, g] of wantedGroups) {
    const s = storedGroups.get(name);
    if (!s) groupsAdded.push(g);
    else if ((g.displayName ?? null) !== s.display_name) groupsChanged.push(g);
  }
  const groupsRemoved = [...storedGroups.keys()].filter((n) => !wantedGroups.has(n));

  const stored = new Set<number>();
  const storedSizes = new Map<number, number>();
  for (const row of memberRows.rows) {
    const ids = row.user_ids.split(',');
    storedSizes.set(row.group_id, ids.length);
    for (const id of ids) stored.add(pairKey(row.group_id, Number(id)));
  }
  // Members stored for this source whose user this source no longer lists (should not happen,
  // but a name is needed to report them).
  const unknownIds = [...stored].map((k) => k % 2 ** 32).filter((id) => !emailById.has(id));
  if (unknownIds.length > 0) {
    const extra = await tx.execute<{ id: number; email: string }>(
      sql`SELECT id, email FROM users WHERE id = ANY(${sql.param([...new Set(unknownIds)])}::int[])`,
    );
    for (const r of extra.rows) emailById.set(r.id, r.email);
  }

  const kept = new Set<number>();
  const membershipsAdded: Membership[] = [];
  for (const [name, g] of wantedGroups) {
    const groupId = storedGroups.get(name)?.id;
    for (const email of g.members) {
      const userId = storedUsers.get(email)?.id;
      const key = groupId !== undefined && userId !== undefined ? pairKey(groupId, userId) : undefined;
      if (key !== undefined && stored.has(key)) kept.add(key);
      else membershipsAdded.push([name, email]);
    }
  }
  const membershipsRemoved: Membership[] = [];
  const removedIds = { groups: [] as number[], users: [] as number[] };
  for (const key of stored) {
    if (kept.has(key)) continue;
    const groupId = Math.floor(key / 2 ** 32);
    const userId = key % 2 ** 32;
    membershipsRemoved.push([
      groupNameById.get(groupId) ?? String(groupId),
      emailById.get(userId) ?? String(userId),
    ]);
    removedIds.groups.push(groupId);
    removedIds.users.push(userId);
  }
  const emptiedGroups = [...storedSizes.keys()]
    .map((id) => groupNameById.get(id) ?? String(id))
    .filter((n) => (wantedGroups.get(n)?.members.length ?? 0) === 0);

  return {
    diff: {
      source,
      usersAdded,
      usersChanged,
      usersRemoved,
      groupsAdded,
      groupsChanged,
      groupsRemoved,
      membershipsAdded,
      membershipsRemoved,
      before: { users: storedUsers.size, groups: storedGroups.size, memberships: stored.size },
      emptiedGroups,
      written: 0,
    },
    removedIds,
  };
}

const texts = (values: readonly (string | null | undefined)[]) => sql.param(values.map((v) => v ?? null));
const ints = (values: readonly number[]) => sql.param([...values]);

async function applyDiff(
  tx: Tx,
  d: DirectoryDiff,
  removedIds: { groups: number[]; users: number[] },
  bulkLoadFrom: number,
): Promise<number> {
  let written = 0;
  const run = async (query: SQL) => {
    written += (await tx.execute(query)).rowCount ?? 0;
  };
  // Removals first, by id: nothing to look up.
  for (let i = 0; i < removedIds.groups.length; i += BATCH) {
    await run(sql`
      DELETE FROM memberships m
      USING unnest(${ints(removedIds.groups.slice(i, i + BATCH))}::int[],
                   ${ints(removedIds.users.slice(i, i + BATCH))}::int[]) AS x(group_id, user_id)
      WHERE m.group_id = x.group_id AND m.user_id = x.user_id`);
  }
  if (d.groupsRemoved.length) {
    await run(
      sql`DELETE FROM groups WHERE source = ${d.source} AND name = ANY(${texts(d.groupsRemoved)}::text[])`,
    );
  }
  for (const batch of batches(d.usersRemoved)) {
    await run(sql`
      DELETE FROM user_sources s USING users u
      WHERE s.user_id = u.id AND s.source = ${d.source} AND u.email = ANY(${texts(batch)}::text[])`);
  }
  for (const upserts of batches([...d.usersAdded, ...d.usersChanged])) {
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
  if (d.membershipsAdded.length) {
    // Names to ids once (every user and group exists by now), then plain integer inserts.
    const emails = [...new Set(d.membershipsAdded.map((m) => m[1]))];
    const names = [...new Set(d.membershipsAdded.map((m) => m[0]))];
    const userIds = new Map<string, number>();
    for (const batch of batches(emails)) {
      const rows = await tx.execute<{ id: number; email: string }>(
        sql`SELECT id, email FROM users WHERE email = ANY(${texts(batch)}::text[])`,
      );
      for (const r of rows.rows) userIds.set(r.email, r.id);
    }
    const groupIds = new Map<string, number>();
    for (const batch of batches(names)) {
      const rows = await tx.execute<{ id: number; name: string }>(
        sql`SELECT id, name FROM groups WHERE name = ANY(${texts(batch)}::text[])`,
      );
      for (const r of rows.rows) groupIds.set(r.name, r.id);
    }
    // Each pair once: a member listed twice is one membership (the row-by-row insert's ON
    // CONFLICT skips the repeat; the bulk load has no key to skip it with until it is rebuilt).
    const seen = new Set<number>();
    const pairs: (readonly [number, number])[] = [];
    for (const [g, e] of d.membershipsAdded) {
      const groupId = groupIds.get(g);
      const userId = userIds.get(e);
      if (groupId === undefined || userId === undefined) continue;
      const key = pairKey(groupId, userId);
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push([groupId, userId]);
    }
    const bulk = pairs.length >= bulkLoadFrom ? await loadMembershipsInBulk(tx, d.source, pairs) : undefined;
    if (bulk !== undefined) written += bulk;
    else
      for (const batch of batches(pairs)) {
        await run(sql`
          INSERT INTO memberships (group_id, user_id, source)
          SELECT x.group_id, x.user_id, ${d.source}
          FROM unnest(${ints(batch.map((p) => p[0]))}::int[], ${ints(batch.map((p) => p[1]))}::int[]) AS x(group_id, user_id)
          ON CONFLICT DO NOTHING`);
      }
  }
  return written;
}
