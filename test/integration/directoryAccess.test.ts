import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgAccessStore } from '../../db/stores/accessStore.ts';
import { PgOnceStore } from '../../db/stores/actionKeyStore.ts';
import { diffIsEmpty, PgDirectoryStore } from '../../handlers/directory/stores/directoryStore.ts';
import { decide } from '../../policies/decide.ts';
import type { PolicyGrant } from '../../policies/policyFiles.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;
let access: PgAccessStore;
let directory: PgDirectoryStore;

beforeAll(async () => {
  database = await createTestDatabase();
  access = new PgAccessStore(database.db);
  directory = new PgDirectoryStore(database.db);
});
afterAll(() => database.drop());

const snapshot = {
  users: [
    { email: 'ada@example.com', name: 'Ada', slackUserId: 'U1', active: true },
    { email: 'grace@example.com', name: 'Grace', active: true },
    { email: 'olive@example.com', active: false },
  ],
  groups: [
    { id: 'oncall', members: ['grace@example.com'] },
    { id: 'platform', displayName: 'Platform', members: ['ada@example.com', 'grace@example.com'] },
  ],
};

const policy: PolicyGrant[] = [
  {
    subject: { kind: 'group', name: 'hr:oncall' },
    actions: ['workers.scale'],
    resources: ['team:team-x'],
    limits: { maxReplicas: 20 },
    approval: null,
    origin: 'policies/a.yaml#grants[0]',
  },
  {
    subject: { kind: 'user', email: 'ada@example.com' },
    actions: ['audit.read'],
    resources: ['*'],
    limits: {},
    approval: null,
    origin: 'policies/a.yaml#grants[1]',
  },
];

async function tableCounts() {
  const r = await database.query<{ users: number; sources: number; groups: number; memberships: number }>(`
    SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM user_sources) AS sources,
           (SELECT count(*)::int FROM groups) AS groups, (SELECT count(*)::int FROM memberships) AS memberships`);
  return r.rows[0];
}

/** The `hr` source as its first sync left it; syncing it again when it already is writes nothing. */
const hrSynced = () => directory.sync('hr', snapshot);

/** Another source, `gh`, that knows Ada only. */
const ghSnapshot = {
  users: [{ email: 'ada@example.com', active: true }],
  groups: [{ id: 'admins', members: ['ada@example.com'] }],
};

/** The `hr` source once Grace left it. */
const withoutGrace = {
  users: snapshot.users.filter((u) => u.email !== 'grace@example.com'),
  groups: [
    { id: 'oncall', members: [] },
    { id: 'platform', displayName: 'Platform', members: ['ada@example.com'] },
  ],
};

describe('directory sync', () => {
  it('applies a first snapshot and reports what it added', async () => {
    const diff = await directory.sync('hr', snapshot);
    expect(diff.usersAdded.map((u) => u.email)).toEqual([
      'ada@example.com',
      'grace@example.com',
      'olive@example.com',
    ]);
    expect(diff.groupsAdded.map((g) => g.id)).toEqual(['oncall', 'platform']);
    expect(diff.membershipsAdded).toHaveLength(3);
    expect(await tableCounts()).toEqual({ users: 3, sources: 3, groups: 2, memberships: 3 });
  });

  it('writes nothing when nothing changed', async () => {
    await hrSynced();
    const before = await database.query('SELECT xmin::text AS x, * FROM users ORDER BY id');
    const diff = await directory.sync('hr', snapshot);
    expect(diffIsEmpty(diff)).toBe(true);
    const after = await database.query('SELECT xmin::text AS x, * FROM users ORDER BY id');
    expect(after.rows).toEqual(before.rows);
  });

  it('a dry run reports the difference and changes nothing', async () => {
    await hrSynced();
    const diff = await directory.sync(
      'hr',
      { ...snapshot, groups: snapshot.groups.slice(1) },
      { dryRun: true },
    );
    expect(diff.groupsRemoved).toEqual(['hr:oncall']);
    expect(await tableCounts()).toEqual({ users: 3, sources: 3, groups: 2, memberships: 3 });
  });

  it('a refusing guard leaves everything as it was', async () => {
    await hrSynced();
    await expect(
      directory.sync(
        'hr',
        { users: [], groups: [] },
        {
          guard: (d) => {
            if (d.membershipsRemoved.length > 0) throw new Error('refused: would remove every membership');
          },
        },
      ),
    ).rejects.toThrow('refused');
    expect(await tableCounts()).toEqual({ users: 3, sources: 3, groups: 2, memberships: 3 });
  });

  it('loads a caller with groups and grants in one query, and decides', async () => {
    await hrSynced();
    await access.replacePolicyGrants(policy);
    const grace = await access.loadCaller('Grace@Example.com');
    expect(grace?.user).toMatchObject({ email: 'grace@example.com', active: true });
    expect(grace?.groups).toEqual(['hr:oncall', 'hr:platform']);
    expect(grace?.grants.map((g) => g.origin)).toEqual(['policies/a.yaml#grants[0]']);
    const ok = decide(grace?.grants ?? [], {
      action: 'workers.scale',
      resource: 'team:team-x',
      limits: { maxReplicas: 8 },
    });
    expect(ok.allowed).toBe(true);
    const ada = await access.loadCaller('ada@example.com');
    expect(ada?.grants.map((g) => g.subject)).toEqual([{ kind: 'user', email: 'ada@example.com' }]);
    expect((await access.loadCaller('olive@example.com'))?.user.active).toBe(false);
    expect(await access.loadCaller('nobody@example.com')).toBeUndefined();
  });

  it('removing someone from the source takes their access on the next load', async () => {
    await hrSynced();
    const diff = await directory.sync('hr', withoutGrace);
    expect(diff.usersRemoved).toEqual(['grace@example.com']);
    expect(diff.membershipsRemoved).toHaveLength(2);
    const grace = await access.loadCaller('grace@example.com');
    expect(grace?.user.active).toBe(false);
    expect(grace?.groups).toEqual([]);
  });

  it('keeps sources apart: another source does not touch hr memberships', async () => {
    await hrSynced();
    await directory.sync('gh', ghSnapshot);
    const ada = await access.loadCaller('ada@example.com');
    expect(ada?.groups).toEqual(['gh:admins', 'hr:platform']);
  });
});

describe('the access version', () => {
  const version = async () =>
    Number((await database.query('SELECT version FROM access_version')).rows[0]?.version);

  it('moves with every change to who may do what, and only then', async () => {
    await hrSynced();
    await access.replacePolicyGrants(policy);
    const start = await version();
    // Nothing changed: kept callers stay usable.
    await hrSynced();
    await access.replacePolicyGrants(policy);
    expect(await version()).toBe(start);

    await directory.sync('hr', withoutGrace);
    const afterSync = await version();
    expect(afterSync).toBeGreaterThan(start);
    await access.replacePolicyGrants(policy.slice(1));
    expect(await version()).toBeGreaterThan(afterSync);
    await hrSynced();
    await access.replacePolicyGrants(policy);
  });

  it('grants kept by one store follow a policy change made through another at once', async () => {
    await hrSynced();
    await access.replacePolicyGrants(policy);
    const kept = new PgAccessStore(database.db);
    const origins = async () => (await kept.loadCaller('grace@example.com'))?.grants.map((g) => g.origin);
    expect(await origins()).toEqual(['policies/a.yaml#grants[0]']);
    // A second caller is served from the kept table; then the grant goes, through the other store.
    expect((await kept.loadCaller('ada@example.com'))?.grants.map((g) => g.origin)).toEqual([
      'policies/a.yaml#grants[1]',
    ]);
    await access.replacePolicyGrants(policy.slice(1));
    expect(await origins()).toEqual([]);
    await access.replacePolicyGrants(policy);
    expect(await origins()).toEqual(['policies/a.yaml#grants[0]']);
  });

  it('deliveries recorded together: a signature seen twice at once is first only once', async () => {
    const once = new PgOnceStore(database.db);
    const twice = `v0=${crypto.randomUUID()}`;
    const others = Array.from({ length: 20 }, () => `v0=${crypto.randomUUID()}`);
    const results = await Promise.all([twice, ...others, twice].map((s) => once.firstDelivery(s)));
    expect(results.filter((r) => r.first)).toHaveLength(21);
    expect([results[0]?.first, results.at(-1)?.first].sort()).toEqual([false, true]);
    expect(new Set(results.map((r) => r.accessVersion))).toEqual(new Set([await version()]));
  });

  it('is read with the caller, in the same snapshot, and with every Slack delivery', async () => {
    await hrSynced();
    const grace = await access.loadCaller('grace@example.com');
    expect(grace?.version).toBe(await version());
    const once = new PgOnceStore(database.db);
    const signature = `v0=${crypto.randomUUID()}`;
    expect(await once.firstDelivery(signature)).toEqual({ first: true, accessVersion: await version() });
    expect((await once.firstDelivery(signature)).first).toBe(false);
  });
});

describe('policy grants', () => {
  it('replacing with the same grants writes nothing; a change replaces them in one go', async () => {
    await access.replacePolicyGrants(policy);
    expect(await access.replacePolicyGrants(policy)).toEqual({ changed: false, count: 2 });
    const changed = await access.replacePolicyGrants(policy.slice(0, 1));
    expect(changed).toEqual({ changed: true, count: 1 });
    expect((await access.allGrants()).map((g) => g.origin)).toEqual(['policies/a.yaml#grants[0]']);
  });

  it('lists active members of groups', async () => {
    await directory.sync('hr', withoutGrace);
    await directory.sync('gh', ghSnapshot);
    const members = await access.groupMembers(['hr:platform', 'gh:admins', 'hr:none']);
    expect(Object.fromEntries(members)).toEqual({
      'gh:admins': [{ email: 'ada@example.com', name: 'Ada' }],
      'hr:platform': [{ email: 'ada@example.com', name: 'Ada' }],
    });
  });
});
