import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { warmUp } from '../../bot/slack/warmUp.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { scaleAttempt } from '../support/auditEntries.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const log = pino({ level: 'silent' });
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

it('prepares every kept connection for the first request and leaves no trace in the log', async () => {
  const audit = new PgAuditStore(database.db);
  const before = await audit.append({ ...scaleAttempt(1), entry: 'slack', slackUserId: 'U0ADA00001' });
  const resolved: string[] = [];

  const warmed = await warmUp({
    pool: database.pool,
    identity: {
      resolve: async (ref) => {
        resolved.push(String(ref.slackUserId));
        throw new Error('not in the directory');
      },
    },
    slack: undefined,
    log,
  });

  // Each connection the pool now holds has the acknowledgement's statements prepared.
  const clients = await Promise.all([
    database.pool.connect(),
    database.pool.connect(),
    database.pool.connect(),
  ]);
  try {
    for (const client of clients) {
      const { rows } = await client.query<{ name: string }>(
        'SELECT name FROM pg_prepared_statements ORDER BY name',
      );
      expect(rows.map((r) => r.name)).toEqual(
        expect.arrayContaining(['dpbot.audit.append', 'dpbot_record_deliveries']),
      );
    }
  } finally {
    for (const client of clients) client.release();
  }

  // Rolled back: no delivery recorded, no audit row, the chain head where it was.
  expect((await database.query('SELECT * FROM slack_requests')).rowCount).toBe(0);
  const rows = await database.query<{ id: string }>('SELECT id FROM audit_log ORDER BY id');
  expect(rows.rows.map((r) => Number(r.id))).toEqual([before.id]);
  // The next row takes the next id and the chain still verifies.
  const after = await audit.append(scaleAttempt(2));
  expect(after.id).toBe(before.id + 1);
  expect((await audit.verify()).ok).toBe(true);
  // The people of the last day were looked up (one who cannot be is only left cold).
  expect(resolved).toEqual(['U0ADA00001']);
  // No one to rehearse a command as: the only caller could not be looked up.
  expect(warmed.recentCaller).toBeUndefined();
});

it("names the most recent of the last day's callers it could look up, for the rehearsal", async () => {
  const audit = new PgAuditStore(database.db);
  // After Ada's row (the test above): two more callers, the newest of whom has left the directory.
  for (const [n, user] of ['U0BOB00001', 'U0LEFT0001'].entries())
    await audit.append({ ...scaleAttempt(10 + n), entry: 'slack', slackUserId: user });

  const { recentCaller } = await warmUp({
    pool: database.pool,
    identity: {
      resolve: async (ref) => {
        if (ref.slackUserId === 'U0LEFT0001') throw new Error('not in the directory');
        return {
          id: 1,
          email: 'someone@example.com',
          name: null,
          slackUserId: String(ref.slackUserId),
          groups: [],
          grants: [],
        };
      },
    },
    slack: undefined,
    log,
  });

  expect(recentCaller).toBe('U0BOB00001');
});
