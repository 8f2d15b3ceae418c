import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipText } from '../../core/text.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { scaleAttempt } from '../support/auditEntries.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;
let store: PgAuditStore;

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PgAuditStore(database.db);
});
afterAll(() => database.drop());

const entry = scaleAttempt;

describe('audit log', () => {
  it('chains rows from concurrent writers into one gapless, verifiable order', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.append(entry(i))));
    const rows = await database.query<{ id: string; prev_hash: string; hash: string }>(
      'SELECT id, prev_hash, hash FROM audit_log ORDER BY id',
    );
    expect(rows.rows.map((r) => Number(r.id))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (let i = 1; i < rows.rows.length; i++) expect(rows.rows[i]?.prev_hash).toBe(rows.rows[i - 1]?.hash);
    expect(await store.verify()).toMatchObject({ ok: true, rows: 40, lastId: 40 });
  });

  it('writes appends that arrive together in a few multi-row commits, each resolving with its own row', async () => {
    const appended = await Promise.all(
      Array.from({ length: 250 }, (_, i) => store.append({ ...entry(i), requestId: `group-${i}` })),
    );
    const rows = await database.query<{ id: string; request_id: string; tx: string }>(
      "SELECT id, request_id, xmin::text AS tx FROM audit_log WHERE request_id LIKE 'group-%' ORDER BY id",
    );
    const byId = new Map(rows.rows.map((r) => [Number(r.id), r.request_id]));
    expect(appended.map((w) => byId.get(w.id))).toEqual(Array.from({ length: 250 }, (_, i) => `group-${i}`));
    // Rows carry the id of the transaction that wrote them: the first append went alone, the 249
    // that queued behind it in batches of at most MAX_AUDIT_BATCH (100).
    expect(new Set(rows.rows.map((r) => r.tx)).size).toBe(4);
    expect((await store.verify()).ok).toBe(true);
  });

  it('chains rows of several statements in one transaction, one rolled back to a savepoint', async () => {
    const before = await store.verify();
    expect(before.ok).toBe(true);
    const insert = (tag: string, n: number) =>
      `INSERT INTO audit_log (request_id, kind, entry) SELECT '${tag}-' || i, 'event', 'system' FROM generate_series(1, ${n}) i`;
    await database.query(
      `BEGIN; ${insert('tx-a', 3)}; SAVEPOINT s; ${insert('tx-gone', 2)}; ROLLBACK TO s; ${insert('tx-b', 1)}; COMMIT`,
    );
    const rows = await database.query<{ request_id: string }>(
      "SELECT request_id FROM audit_log WHERE request_id LIKE 'tx-%' ORDER BY id",
    );
    expect(rows.rows.map((r) => r.request_id)).toEqual(['tx-a-1', 'tx-a-2', 'tx-a-3', 'tx-b-1']);
    const after = await store.verify();
    expect(after).toMatchObject({
      ok: true,
      rows: before.rows + 4,
      lastId: (before.ok ? before.lastId : 0) + 4,
    });
  });

  it('fails only the row the database refuses, not the others written with it', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        store.append({
          ...entry(i),
          requestId: `mixed-${i}`,
          // Too large for the integer column: the database refuses this row.
          ...(i === 6 ? { durationMs: 2 ** 40 } : {}),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i === 6 ? 'rejected' : 'fulfilled')),
    );
    const refused = results[6];
    expect(refused?.status === 'rejected' && String(refused.reason)).toMatch(
      /the audit log could not be written: .*out of range/,
    );
    const written = await database.query("SELECT request_id FROM audit_log WHERE request_id LIKE 'mixed-%'");
    expect(written.rowCount).toBe(11);
    expect((await store.verify()).ok).toBe(true);
  });

  it('keeps any text a caller typed: NUL, unicode, quotes, very long text', async () => {
    const long = 'x'.repeat(10_000);
    const { id } = await store.append({
      ...entry(99),
      commandText: `a\u0000b ünï "'; DROP TABLE audit_log;-- ${long}`,
      args: { v: 'a\u0000b' },
    });
    const [row] = await store.search({ requestId: 'req-99', limit: 1 });
    expect(row?.id).toBe(id);
    expect(row?.commandText?.startsWith(`a\\u0000b ünï "'; DROP TABLE audit_log;-- xxx`)).toBe(true);
    expect(row?.commandText?.endsWith('more characters]')).toBe(true);
    expect(row?.args).toEqual({ v: 'a\\u0000b' });
    expect((await store.verify()).ok).toBe(true);
  });

  it('takes any text, however it was cut: clipped emoji, lone surrogates, NUL (fuzzed)', async () => {
    // A cut in the middle of a surrogate pair (the old clip did that) left a lone surrogate, which
    // PostgreSQL's jsonb refuses: the attempt could not be written, so the command could not run.
    const lone = '\ud83d';
    const { id } = await store.append({
      ...entry(500),
      commandText: `task run x note=${lone}`,
      args: { note: `🚀${lone}`, nested: [`\ude80`] },
      reason: `r${lone}`,
    });
    const [row] = await store.search({ requestId: 'req-500', limit: 1 });
    expect(row?.id).toBe(id);
    expect(row?.commandText).toBe('task run x note=\ufffd');
    expect(row?.args).toEqual({ note: '🚀\ufffd', nested: ['\ufffd'] });

    let n = 1000;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 60 }),
        ),
        fc.integer({ min: 1, max: 60 }),
        async (text, max) => {
          const clipped = clipText(text, max);
          expect(clipped.length).toBeLessThanOrEqual(Math.max(max, 1));
          n += 1;
          await store.append({
            ...entry(n),
            commandText: clipped,
            args: { clipped, raw: text },
            reason: text,
          });
        },
      ),
      { numRuns: 150 },
    );
    expect((await store.verify()).ok).toBe(true);
  });

  it('clips between grapheme clusters, never inside an emoji', () => {
    expect(clipText('ab🚀cd', 4)).toBe('ab…');
    expect(clipText('ab🚀cd', 5)).toBe('ab🚀…');
    expect(clipText('👩‍👩‍👧 family', 5)).toBe('…');
    expect(clipText('short', 5)).toBe('short');
    expect(clipText('🚀🚀🚀', 4).isWellFormed()).toBe(true);
  });

  it('rejects UPDATE, DELETE and TRUNCATE', async () => {
    // Row triggers fire only on a row that is there.
    await store.append(entry(1));
    await expect(
      database.query("UPDATE audit_log SET email = 'mallory@example.com' WHERE id = 1"),
    ).rejects.toThrow(/append-only: UPDATE/);
    await expect(database.query('DELETE FROM audit_log WHERE id = 1')).rejects.toThrow(/append-only: DELETE/);
    await expect(database.query('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE/);
  });

  it('searches by user, action pattern and time, newest first', async () => {
    await store.append({
      ...entry(100),
      email: 'grace@example.com',
      action: 'release.ship',
      requestId: 'rel',
    });
    const byUser = await store.search({ email: 'GRACE@example.com', limit: 10 });
    expect(byUser.map((r) => r.requestId)).toEqual(['rel']);
    const byAction = await store.search({ action: 'release.*', limit: 10 });
    expect(byAction.map((r) => r.requestId)).toEqual(['rel']);
    const recent = await store.search({ since: new Date(Date.now() + 60_000), limit: 10 });
    expect(recent).toEqual([]);
    const all = await store.search({ limit: 3 });
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => b - a));
  });

  it('exports in chain order, page by page', async () => {
    // More rows than one page of 7, whatever ran before.
    for (let i = 0; i < 20; i++) await store.append(entry(i));
    const seen: number[] = [];
    const count = await store.export(
      new Date(0),
      (rows) => {
        seen.push(...rows.map((r) => r.id));
      },
      7,
    );
    expect(count).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('audit verify detects tampering by the table owner', () => {
  /**
   * A database of its own holding `rows` intact rows, so that a test's tampering neither depends
   * on nor breaks the chain another test wrote.
   */
  async function withChainOf(
    rows: number,
    fn: (s: PgAuditStore, tamper: (sql: string) => Promise<unknown>) => Promise<void>,
  ) {
    const own = await createTestDatabase();
    try {
      const s = new PgAuditStore(own.db);
      for (let i = 0; i < rows; i++) await s.append(entry(i));
      const tamper = (sql: string) =>
        own.query(
          `BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT`,
        );
      await fn(s, tamper);
    } finally {
      await own.drop();
    }
  }

  it('a changed row', async () => {
    await withChainOf(13, async (s, tamper) => {
      await tamper("UPDATE audit_log SET decision = 'deny' WHERE id = 7");
      expect(await s.verify()).toMatchObject({
        ok: false,
        brokenAt: 7,
        problem: expect.stringContaining('row 7 was changed'),
      });
      await tamper("UPDATE audit_log SET decision = 'allow' WHERE id = 7");
      expect((await s.verify()).ok).toBe(true);
    });
  });

  it('a changed row whose hash was recomputed to match', async () => {
    await withChainOf(13, async (s, tamper) => {
      await tamper("UPDATE audit_log SET email = 'mallory@example.com' WHERE id = 12");
      await tamper('UPDATE audit_log a SET hash = audit_row_hash(a) WHERE id = 12');
      expect(await s.verify()).toMatchObject({
        ok: false,
        brokenAt: 13,
        problem: expect.stringContaining('row 13 does not link'),
      });
    });
  });

  it('a deleted row in the middle and at the end', async () => {
    const fresh = await createTestDatabase();
    try {
      const s = new PgAuditStore(fresh.db);
      for (let i = 0; i < 5; i++) await s.append(entry(i));
      await fresh.query(
        'BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log WHERE id = 3; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT',
      );
      expect(await s.verify()).toMatchObject({
        ok: false,
        brokenAt: 4,
        problem: 'row 3 is missing: it was deleted',
      });

      const tail = await createTestDatabase();
      try {
        const t = new PgAuditStore(tail.db);
        for (let i = 0; i < 3; i++) await t.append(entry(i));
        await tail.query(
          'BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log WHERE id = 3; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT',
        );
        expect(await t.verify()).toMatchObject({
          ok: false,
          brokenAt: 3,
          problem: expect.stringContaining('the last rows were deleted'),
        });
      } finally {
        await tail.drop();
      }
    } finally {
      await fresh.drop();
    }
  });
});
