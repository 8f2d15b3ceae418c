import { sql } from 'drizzle-orm';
import type { Db } from '../connect.ts';
import { groupGrants, userGrants } from '../schema.ts';

export interface Approval {
  group: string;
  count: number;
}

/** A grant as stored, already narrowed to one subject (a group or a user). */
export interface Grant {
  id: number;
  subject: { kind: 'group'; name: string } | { kind: 'user'; email: string };
  actions: string[];
  resources: string[];
  limits: Record<string, number>;
  approval: Approval | null;
  origin: string;
}

/** A grant as a policy file states it, before it is stored. */
export interface PolicyGrant {
  subject: { kind: 'group'; name: string } | { kind: 'user'; email: string };
  actions: string[];
  resources: string[];
  limits: Record<string, number>;
  approval: { group: string; count: number } | null;
  /** `policies/teams.yaml#grants[2]`: where to look when the grant surprises someone. */
  origin: string;
}

export interface DirectoryUser {
  id: number;
  email: string;
  name: string | null;
  slackUserId: string | null;
  /** Listed as active by at least one directory source. */
  active: boolean;
}

export interface CallerRecord {
  user: DirectoryUser;
  groups: string[];
  grants: Grant[];
  /**
   * The access version (the `access_version` row) the record was read at, in the same snapshot;
   * undefined if the database has none.
   */
  version: number | undefined;
}

export interface AccessStore {
  findUser(by: { email: string } | { slackUserId: string }): Promise<DirectoryUser | undefined>;
  /**
   * People a bare word may mean (`grace`): the part of the e-mail before the @, else the whole
   * name, else its first word, ignoring case; those of the closest kind, at most `limit`.
   */
  usersNamed(word: string, limit?: number): Promise<DirectoryUser[]>;
  /** The user, their groups and every grant that applies to them, in one round trip. */
  loadCaller(email: string): Promise<CallerRecord | undefined>;
  allGrants(): Promise<Grant[]>;
  /** Active members of each named group. */
  groupMembers(groupNames: readonly string[]): Promise<Map<string, { email: string; name: string | null }[]>>;
  knownNames(): Promise<{ groups: Set<string>; users: Set<string> }>;
  /** Replaces the grants from policy files in one transaction; writes nothing when they are unchanged. */
  replacePolicyGrants(grants: readonly PolicyGrant[]): Promise<{ changed: boolean; count: number }>;
}

interface GrantJson {
  id: number;
  group_name?: string | null;
  user_email?: string | null;
  actions: string[];
  resources: string[];
  limits: Record<string, number>;
  approval: Approval | null;
  origin: string;
}

function toGrant(row: GrantJson): Grant {
  return {
    id: row.id,
    subject:
      row.group_name != null
        ? { kind: 'group', name: row.group_name }
        : { kind: 'user', email: row.user_email ?? '' },
    actions: row.actions,
    resources: row.resources,
    limits: row.limits ?? {},
    approval: row.approval ?? null,
    origin: row.origin,
  };
}

/** A grant as loadCaller's query returns it: id, subject, actions, resources, limits, approval, origin. */
type GrantTuple = [
  number,
  string,
  string[],
  string[],
  Record<string, number> | null,
  Approval | null,
  string,
];

function fromTuple(
  [id, subject, actions, resources, limits, approval, origin]: GrantTuple,
  kind: 'group' | 'user',
): Grant {
  return toGrant({
    id,
    ...(kind === 'group' ? { group_name: subject } : { user_email: subject }),
    actions,
    resources,
    limits: limits ?? {},
    approval,
    origin,
  });
}

type UserRow = {
  id: number;
  email: string;
  name: string | null;
  slack_user_id: string | null;
  active: boolean;
};

const toUser = (row: UserRow): DirectoryUser => ({
  id: row.id,
  email: row.email,
  name: row.name,
  slackUserId: row.slack_user_id,
  active: row.active,
});

const APPLY_POLICIES_LOCK = 0x6470_7031; // "dpp1"

/** Canonical text of a grant, to compare the files with what is stored without writing. */
function fingerprint(g: Omit<PolicyGrant, 'origin'> & { origin: string }): string {
  return JSON.stringify([
    g.subject.kind === 'group' ? `g:${g.subject.name}` : `u:${g.subject.email}`,
    g.actions,
    g.resources,
    Object.entries(g.limits).sort(([a], [b]) => a.localeCompare(b)),
    g.approval,
    g.origin,
  ]);
}

/** Every grant by subject, as read at one access version. */
interface GrantTable {
  version: number;
  byGroup: Map<string, Grant[]>;
  byUser: Map<string, Grant[]>;
}

export class PgAccessStore implements AccessStore {
  private readonly db: Db;
  /**
   * Grants change only when the policy files are applied; kept here with their access version, a
   * caller's first request needs one small query instead of gathering their grants again.
   */
  #grantTable: Promise<GrantTable | undefined> | undefined;
  #reloading: Promise<GrantTable | undefined> | undefined;

  constructor(db: Db) {
    this.db = db;
  }

  async findUser(by: { email: string } | { slackUserId: string }): Promise<DirectoryUser | undefined> {
    const where =
      'email' in by ? sql`u.email = ${by.email.toLowerCase()}` : sql`u.slack_user_id = ${by.slackUserId}`;
    const result = await this.db.execute<UserRow>(sql`
      SELECT u.id, u.email, u.name, u.slack_user_id,
             EXISTS (SELECT 1 FROM user_sources s WHERE s.user_id = u.id AND s.active) AS active
      FROM users u WHERE ${where}
      ORDER BY u.id LIMIT 1`);
    const row = result.rows[0];
    return row ? toUser(row) : undefined;
  }

  async usersNamed(word: string, limit = 5): Promise<DirectoryUser[]> {
    const w = word.toLowerCase();
    // The closest kind of match wins: `grace` is grace@… before Grace Kelly.
    const result = await this.db.execute<UserRow>(sql`
      WITH m AS (
        SELECT u.id, u.email, u.name, u.slack_user_id,
               EXISTS (SELECT 1 FROM user_sources s WHERE s.user_id = u.id AND s.active) AS active,
               CASE WHEN split_part(u.email, '@', 1) = ${w} THEN 0 WHEN lower(u.name) = ${w} THEN 1 ELSE 2 END AS rank
        FROM users u
        WHERE split_part(u.email, '@', 1) = ${w} OR lower(u.name) = ${w}
           OR lower(split_part(u.name, ' ', 1)) = ${w}
      )
      SELECT id, email, name, slack_user_id, active FROM m
      WHERE rank = (SELECT min(rank) FROM m)
      ORDER BY email LIMIT ${limit}`);
    return result.rows.map(toUser);
  }

  async loadCaller(email: string): Promise<CallerRecord | undefined> {
    // Named, so each connection plans it once: planning this statement took longer than running
    // it. Every lookup goes by the one user's keys (memberships by user, each group by id).
    const result = await this.db.$client.query<UserRow & { groups: string[]; access_version: string | null }>(
      {
        name: 'dpbot_load_caller',
        text: `SELECT u.id, u.email, u.name, u.slack_user_id,
               EXISTS (SELECT 1 FROM user_sources s WHERE s.user_id = u.id AND s.active) AS active,
               (SELECT version FROM access_version) AS access_version,
               ARRAY(
                 SELECT (SELECT gr.name FROM groups gr WHERE gr.id = m.group_id) AS name
                 FROM memberships m WHERE m.user_id = u.id ORDER BY 1
               ) AS groups
             FROM users u WHERE u.email = $1`,
        values: [email.toLowerCase()],
      },
    );
    const row = result.rows[0];
    if (!row) return undefined;
    const version = row.access_version == null ? undefined : Number(row.access_version);
    const user = toUser(row);
    // The grants, from the table kept in memory when it was read at the very same version (one
    // snapshot, as if read by this statement); else from the database with the caller's groups.
    let table = await this.#grantTable;
    if (version !== undefined && (table === undefined || table.version < version)) {
      // One reload for every caller that finds the table behind; a failed one leaves the grants
      // to the query below, which reports the failure.
      this.#reloading ??= this.#loadGrantTable()
        .catch(() => undefined)
        .finally(() => {
          this.#reloading = undefined;
        });
      this.#grantTable = this.#reloading;
      table = await this.#grantTable;
    }
    const grants =
      version !== undefined && table?.version === version
        ? [...row.groups.flatMap((g) => table.byGroup.get(g) ?? []), ...(table.byUser.get(user.email) ?? [])]
        : await this.#grantsOf(row.groups, user.email);
    return { user, groups: row.groups, grants, version };
  }

  /** Every grant, by subject, and the access version they were read at, in one statement. */
  async #loadGrantTable(): Promise<GrantTable | undefined> {
    const result = await this.db.$client.query<{
      access_version: string | null;
      group_grants: GrantTuple[] | null;
      user_grants: GrantTuple[] | null;
    }>(`SELECT (SELECT version FROM access_version) AS access_version,
               (SELECT json_agg(json_build_array(id, group_name, actions, resources, limits, approval, origin)
                                ORDER BY id) FROM group_grants) AS group_grants,
               (SELECT json_agg(json_build_array(id, user_email, actions, resources, limits, approval, origin)
                                ORDER BY id) FROM user_grants) AS user_grants`);
    const row = result.rows[0];
    if (row?.access_version == null) return undefined;
    const byGroup = new Map<string, Grant[]>();
    const byUser = new Map<string, Grant[]>();
    const add = (into: Map<string, Grant[]>, key: string, grant: Grant) => {
      const list = into.get(key);
      if (list) list.push(grant);
      else into.set(key, [grant]);
    };
    for (const t of row.group_grants ?? []) add(byGroup, t[1], fromTuple(t, 'group'));
    for (const t of row.user_grants ?? []) add(byUser, t[1], fromTuple(t, 'user'));
    return { version: Number(row.access_version), byGroup, byUser };
  }

  async #grantsOf(groups: readonly string[], email: string): Promise<Grant[]> {
    const result = await this.db.$client.query<{
      group_grants: GrantTuple[] | null;
      user_grants: GrantTuple[] | null;
    }>({
      name: 'dpbot_grants_of',
      text: `SELECT (SELECT json_agg(json_build_array(id, group_name, actions, resources, limits, approval, origin)
                                     ORDER BY id) FROM group_grants WHERE group_name = ANY ($1::text[])) AS group_grants,
                    (SELECT json_agg(json_build_array(id, user_email, actions, resources, limits, approval, origin)
                                     ORDER BY id) FROM user_grants WHERE user_email = $2) AS user_grants`,
      values: [groups, email],
    });
    const row = result.rows[0];
    return [
      ...(row?.group_grants ?? []).map((t) => fromTuple(t, 'group')),
      ...(row?.user_grants ?? []).map((t) => fromTuple(t, 'user')),
    ];
  }

  async allGrants(): Promise<Grant[]> {
    const [groupRows, userRows] = await Promise.all([
      this.db.select().from(groupGrants).orderBy(groupGrants.id),
      this.db.select().from(userGrants).orderBy(userGrants.id),
    ]);
    return [
      ...groupRows.map((r) => toGrant({ ...r, group_name: r.groupName })),
      ...userRows.map((r) => toGrant({ ...r, user_email: r.userEmail })),
    ];
  }

  async groupMembers(
    groupNames: readonly string[],
  ): Promise<Map<string, { email: string; name: string | null }[]>> {
    const out = new Map<string, { email: string; name: string | null }[]>();
    if (groupNames.length === 0) return out;
    const result = await this.db.execute<{ group_name: string; email: string; name: string | null }>(sql`
      SELECT g.name AS group_name, u.email, u.name
      FROM groups g JOIN memberships m ON m.group_id = g.id JOIN users u ON u.id = m.user_id
      WHERE g.name = ANY(${sql.param([...groupNames])}::text[])
        AND EXISTS (SELECT 1 FROM user_sources s WHERE s.user_id = u.id AND s.active)
      ORDER BY g.name, u.email`);
    for (const row of result.rows) {
      const list = out.get(row.group_name) ?? [];
      list.push({ email: row.email, name: row.name });
      out.set(row.group_name, list);
    }
    return out;
  }

  async knownNames(): Promise<{ groups: Set<string>; users: Set<string> }> {
    const [g, u] = await Promise.all([
      this.db.execute<{ name: string }>(sql`SELECT name FROM groups`),
      this.db.execute<{ email: string }>(sql`SELECT email FROM users`),
    ]);
    return { groups: new Set(g.rows.map((r) => r.name)), users: new Set(u.rows.map((r) => r.email)) };
  }

  async replacePolicyGrants(grants: readonly PolicyGrant[]): Promise<{ changed: boolean; count: number }> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${APPLY_POLICIES_LOCK})`);
      const groupRows = await tx.select().from(groupGrants);
      const userRows = await tx.select().from(userGrants);
      const stored = [
        ...groupRows.map((r) => fingerprint({ ...r, subject: { kind: 'group', name: r.groupName } })),
        ...userRows.map((r) => fingerprint({ ...r, subject: { kind: 'user', email: r.userEmail } })),
      ].sort();
      const wanted = grants.map(fingerprint).sort();
      if (stored.length === wanted.length && stored.every((s, i) => s === wanted[i])) {
        return { changed: false, count: grants.length };
      }
      await tx.delete(groupGrants);
      await tx.delete(userGrants);
      const common = (g: PolicyGrant) => ({
        actions: g.actions,
        resources: g.resources,
        limits: g.limits,
        approval: g.approval,
        origin: g.origin,
      });
      const groupValues = grants.flatMap((g) =>
        g.subject.kind === 'group' ? [{ ...common(g), groupName: g.subject.name }] : [],
      );
      const userValues = grants.flatMap((g) =>
        g.subject.kind === 'user' ? [{ ...common(g), userEmail: g.subject.email }] : [],
      );
      if (groupValues.length) await tx.insert(groupGrants).values(groupValues);
      if (userValues.length) await tx.insert(userGrants).values(userValues);
      return { changed: true, count: grants.length };
    });
  }
}
