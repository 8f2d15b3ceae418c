import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../db/connect.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { scaleAttempt } from '../support/auditEntries.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { TcpProxy } from '../support/tcpProxy.ts';

const log = pino({ level: 'silent' });
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** The store's INSERT of a row of `requestId`, as node-pg sends it (prepared, with its values). */
const insertOf = (requestId: string) => (chunk: Buffer) =>
  chunk.includes('dpbot.audit.append') && chunk.includes(requestId);

const rowsOf = async (requestId: string) =>
  (
    await database.query<{ id: string; outcome: string | null; late: boolean | null }>(
      "SELECT id, outcome, detail ? 'recordedLate' AS late FROM audit_log WHERE request_id = $1 ORDER BY id",
      [requestId],
    )
  ).rows;

describe('an audit insert committed whose answer is lost', () => {
  it('is recognised by the retry that follows at once: one row, and the caller told it is written', async () => {
    const { proxy, url } = await TcpProxy.forDatabase(database.url);
    const via = connect(url, 2, log);
    const store = new PgAuditStore(via.db);
    try {
      const lost = proxy.loseAnswerTo(insertOf('lost-1'));
      const written = await store.append({ ...scaleAttempt(1), requestId: 'lost-1' });
      await lost;
      const rows = await rowsOf('lost-1');
      expect(rows).toHaveLength(1);
      expect(written.id).toBe(Number(rows[0]?.id));
      // Written alongside others in one statement, each still gets its own row back.
      proxy.loseAnswerTo(insertOf('lost-2'));
      const both = await Promise.all([
        store.append({ ...scaleAttempt(2), requestId: 'lost-2' }),
        store.append({ ...scaleAttempt(3), requestId: 'lost-2b' }),
        store.append({ ...scaleAttempt(4), requestId: 'lost-2c' }),
      ]);
      expect(new Set(both.map((w) => w.id)).size).toBe(3);
      for (const id of ['lost-2', 'lost-2b', 'lost-2c']) expect(await rowsOf(id)).toHaveLength(1);
      expect(await store.verify()).toMatchObject({ ok: true });
    } finally {
      await via.pool.end();
      await proxy.stop();
    }
  });

  it('held when the database stays away, then written late exactly once: the first try stands', async () => {
    const { proxy, url } = await TcpProxy.forDatabase(database.url);
    const via = connect(url, 2, log);
    const store = new PgAuditStore(via.db, { outbox: { log, retryMs: 50 } });
    try {
      proxy.loseAnswerTo(insertOf('lost-3'), { thenDown: true });
      const outcome = { ...scaleAttempt(5), requestId: 'lost-3', kind: 'outcome' as const, outcome: 'ok' };
      expect(await store.appendOrHold(outcome)).toEqual({ held: true });
      // It was committed all the same.
      expect(await rowsOf('lost-3')).toEqual([expect.objectContaining({ outcome: 'ok', late: null })]);
      proxy.restore();
      await eventually(() => expect(store.held).toBe(0));
      expect(await rowsOf('lost-3')).toEqual([expect.objectContaining({ outcome: 'ok', late: null })]);
      expect(await store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
      await via.pool.end();
      await proxy.stop();
    }
  });

  it('the same key written twice, by the store or by hand, is one row, and the chain stays whole', async () => {
    const store = new PgAuditStore(database.db);
    const key = 'a-key-chosen-once';
    const first = await store.append({ ...scaleAttempt(6), requestId: 'key-1', idempotencyKey: key });
    const again = await store.append({ ...scaleAttempt(6), requestId: 'key-1', idempotencyKey: key });
    expect(again).toEqual(first);
    await database.query(
      `INSERT INTO audit_log (request_id, kind, entry, idempotency_key) VALUES ('key-1', 'event', 'system', $1)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [key],
    );
    expect(await rowsOf('key-1')).toHaveLength(1);
    expect(await store.verify()).toMatchObject({ ok: true });
  });
});
