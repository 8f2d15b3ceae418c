import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../db/connect.ts';
import { type DirectorySnapshot, PgDirectoryStore } from '../../handlers/directory/stores/directoryStore.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

/**
 * A first sync into an empty memberships table loads it in bulk (keys and indexes rebuilt after
 * the load). These cases hold it to the row-by-row path: the same sequence of syncs on two fresh
 * databases, one store taking the bulk path from the first membership, one never, must leave
 * identical tables (ids included), report identical differences and leave the same schema.
 */

let bulkDb: TestDatabase;
let rowDb: TestDatabase;
let bulk: PgDirectoryStore;
let rowByRow: PgDirectoryStore;

beforeAll(async () => {
  [bulkDb, rowDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  bulk = new PgDirectoryStore(bulkDb.db, { bulkLoadFrom: 1 });
  rowByRow = new PgDirectoryStore(rowDb.db, { bulkLoadFrom: Number.POSITIVE_INFINITY });
});
afterAll(() => Promise.all([bulkDb.drop(), rowDb.drop()]));

/** Everything the directory tables hold, timestamps aside. */
async function tables(db: TestDatabase) {
  const q = async (text: string) => (await db.query(text)).rows;
  return {
    users: await q('SELECT id, email, name, slack_user_id FROM users ORDER BY id'),
    userSources: await q(
      'SELECT user_id, source, external_id, active FROM user_sources ORDER BY user_id, source',
    ),
    groups: await q('SELECT id, name, source, external_id, display_name FROM groups ORDER BY id'),
    memberships: await q('SELECT group_id, user_id, source FROM memberships ORDER BY group_id, user_id'),
  };
}

/** The memberships table's keys and indexes as the catalog defines them, and which objects they are. */
async function schemaOf(db: TestDatabase) {
  const definitions = await db.query<{ name: string; def: string }>(`
    SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = 'memberships'::regclass
    UNION ALL
    SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
     WHERE indrelid = 'memberships'::regclass
    ORDER BY 1`);
  const index = await db.query<{ oid: string }>(
    `SELECT 'memberships_user_id_idx'::regclass::oid::text AS oid`,
  );
  return { definitions: definitions.rows, indexOid: index.rows[0]?.oid };
}

/** A source that lists people only: users the other source's groups may name without listing them. */
const hr: DirectorySnapshot = {
  users: [
    { email: 'hilda@example.com', name: 'Hilda', active: true },
    { email: 'ada@example.com', name: 'Ada L', slackUserId: 'U0ADA', active: true },
  ],
  groups: [],
};

const corp: DirectorySnapshot = {
  users: [
    { email: 'ada@example.com', name: 'Ada', active: true },
    // The same address twice: the last one listed wins.
    { email: 'grace@example.com', name: 'Grace (old)', active: true },
    { email: 'grace@example.com', name: 'Grace', slackUserId: 'U0GRACE', externalId: 'g-1', active: true },
    // Differing only in case: the store takes addresses as given (sources lower-case them).
    { email: 'Linus@example.com', name: 'Linus upper', active: true },
    { email: 'linus@example.com', name: 'Linus', active: true },
    // In no group, and inactive.
    { email: 'olive@example.com', active: false },
    { email: 'nobody@example.com', name: 'In no group', active: true },
  ],
  groups: [
    // A member listed twice is one membership.
    {
      id: 'platform',
      displayName: 'Platform',
      members: ['ada@example.com', 'grace@example.com', 'ada@example.com'],
    },
    { id: 'empty', displayName: 'Nobody here', members: [] },
    // Both spellings of Linus, and Hilda, whom only hr lists.
    { id: 'kernel', members: ['Linus@example.com', 'linus@example.com', 'hilda@example.com'] },
    // Someone no source lists: no user, so no membership.
    { id: 'ghosts', members: ['casper@example.com', 'olive@example.com'] },
    // The same group twice: the last one listed wins.
    { id: 'oncall', members: ['ada@example.com'] },
    { id: 'oncall', displayName: 'On-call', members: ['grace@example.com', 'olive@example.com'] },
    ...Array.from({ length: 20 }, (_, g) => ({
      id: `team-${g}`,
      members: Array.from({ length: 1 + g }, (_, i) =>
        i % 3 === 0 ? 'ada@example.com' : `p${g * 7 + i}@example.com`,
      ),
    })),
  ],
};
for (let i = 0; i < 200; i++) corp.users.push({ email: `p${i}@example.com`, active: i % 11 !== 0 });

describe('a first sync loaded in bulk', () => {
  it('leaves the same tables, difference and schema as the row-by-row path', async () => {
    const before = await schemaOf(bulkDb);
    // hr first: users, no memberships, so the memberships table is still empty for corp.
    for (const [source, snapshot] of [
      ['hr', hr],
      ['corp', corp],
    ] as const) {
      const [a, b] = await Promise.all([bulk.sync(source, snapshot), rowByRow.sync(source, snapshot)]);
      expect(a).toEqual(b);
    }
    const [a, b] = await Promise.all([tables(bulkDb), tables(rowDb)]);
    expect(a).toEqual(b);
    expect(a.memberships.length).toBeGreaterThan(100);
    // Hilda (listed by hr only) is in kernel; Casper (listed by no one) is nowhere.
    const hilda = a.users.find((u) => u.email === 'hilda@example.com');
    expect(a.memberships.some((m) => m.user_id === hilda?.id)).toBe(true);
    expect(a.users.some((u) => u.email === 'casper@example.com')).toBe(false);

    const after = await schemaOf(bulkDb);
    expect(after.definitions).toEqual(before.definitions);
    expect(after.definitions).toEqual((await schemaOf(rowDb)).definitions);
    // The index was rebuilt (a new object): the bulk path did run.
    expect(after.indexOid).not.toEqual(before.indexOid);
  });

  it('keeps the foreign keys and primary key it rebuilt', async () => {
    await expect(
      bulkDb.query("INSERT INTO memberships (group_id, user_id, source) VALUES (1, 999999, 'corp')"),
    ).rejects.toMatchObject({ code: '23503' });
    const existing = await bulkDb.query<{ group_id: number; user_id: number }>(
      'SELECT group_id, user_id FROM memberships LIMIT 1',
    );
    const row = existing.rows[0];
    await expect(
      bulkDb.query("INSERT INTO memberships (group_id, user_id, source) VALUES ($1, $2, 'corp')", [
        row?.group_id,
        row?.user_id,
      ]),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('resyncs the same way afterwards, row by row once the table has rows', async () => {
    const before = await schemaOf(bulkDb);
    const changed: DirectorySnapshot = {
      users: corp.users.filter((u) => u.email !== 'ada@example.com'),
      groups: [...corp.groups.filter((g) => g.id !== 'kernel'), { id: 'new', members: ['p1@example.com'] }],
    };
    const [a, b] = await Promise.all([bulk.sync('corp', changed), rowByRow.sync('corp', changed)]);
    expect(a).toEqual(b);
    expect(a.written).toBeGreaterThan(0);
    expect(await tables(bulkDb)).toEqual(await tables(rowDb));
    expect((await schemaOf(bulkDb)).indexOid).toEqual(before.indexOid);
  });
});

describe('a first sync that cannot take the locks', () => {
  it('falls back to the row-by-row insert and writes the same rows', async () => {
    const [db, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      const store = new PgDirectoryStore(db.db, { bulkLoadFrom: 1 });
      const before = await schemaOf(db);
      // A long transaction that has read users: its share lock outlasts the bulk load's wait.
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM users');
      const diff = await store.sync('corp', corp);
      await holder.query('COMMIT');
      const expected = await new PgDirectoryStore(reference.db, {
        bulkLoadFrom: Number.POSITIVE_INFINITY,
      }).sync('corp', corp);
      expect(diff).toEqual(expected);
      expect(await tables(db)).toEqual(await tables(reference));
      expect((await schemaOf(db)).indexOid).toEqual(before.indexOid);
    } finally {
      await holder.end();
      await Promise.all([db.drop(), reference.drop()]);
    }
  });
});

describe('a first sync by a database role that does not own the tables', () => {
  it('falls back to the row-by-row insert, which needs no more than writing rows', async () => {
    const [db, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const role = `dpbot_writer_${randomBytes(4).toString('hex')}`;
    let pool: pg.Pool | undefined;
    try {
      await db.query(`CREATE ROLE ${role} NOLOGIN`);
      await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      await db.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      const url = new URL(db.url);
      url.searchParams.set('options', `-c role=${role}`);
      const writer = connect(url.toString(), 2, pino({ level: 'silent' }));
      pool = writer.pool;
      const before = await schemaOf(db);
      const diff = await new PgDirectoryStore(writer.db, { bulkLoadFrom: 1 }).sync('corp', corp);
      const expected = await new PgDirectoryStore(reference.db, {
        bulkLoadFrom: Number.POSITIVE_INFINITY,
      }).sync('corp', corp);
      expect(diff).toEqual(expected);
      expect(await tables(db)).toEqual(await tables(reference));
      expect(await schemaOf(db)).toEqual(before);
    } finally {
      await pool?.end();
      await db.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await db.query(`DROP ROLE IF EXISTS ${role}`);
      await Promise.all([db.drop(), reference.drop()]);
    }
  });
});
