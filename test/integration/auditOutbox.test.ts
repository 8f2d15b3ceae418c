import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'dpbot-outbox-'));
});
afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

const outcome = (n: number) => ({
  ...scaleAttempt(n),
  requestId: `late-${n}`,
  kind: 'outcome' as const,
  outcome: 'ok',
});
const rowsOf = async (requestId: string) =>
  (
    await database.query<{ outcome: string; detail: { recordedLate?: { key: string } } | null }>(
      'SELECT outcome, detail FROM audit_log WHERE request_id = $1',
      [requestId],
    )
  ).rows;

describe('rows held while the database is away', () => {
  it('survive the process: the next one with the spool file writes them, each once', async () => {
    const file = join(dir, 'restart.jsonl');
    const { proxy, url } = await TcpProxy.forDatabase(database.url);
    const first = connect(url, 2, log);
    const before = new PgAuditStore(first.db, { outbox: { file, log, retryMs: 50 } });
    proxy.cut();
    expect(await before.appendOrHold(outcome(1))).toEqual({ held: true });
    expect(await before.appendOrHold(outcome(2))).toEqual({ held: true });
    // A row that must be written before anything acts still fails at once: only records of what
    // already happened wait.
    await expect(before.append(outcome(3))).rejects.toThrow(/the audit log could not be written/);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    await before.close();
    await first.pool.end();
    await proxy.stop();

    // A spool cut short after its first row was written: that row must not be written again.
    const after = new PgAuditStore(database.db, { outbox: { file, log, retryMs: 50 } });
    try {
      await eventually(async () => {
        expect((await rowsOf('late-1')).map((r) => r.outcome)).toEqual(['ok']);
        expect((await rowsOf('late-2')).map((r) => r.outcome)).toEqual(['ok']);
      });
      await eventually(() => expect(readFileSync(file, 'utf8')).toBe(''));
      expect((await rowsOf('late-1'))[0]?.detail?.recordedLate?.key).toEqual(expect.any(String));
    } finally {
      await after.close();
    }
    expect(await after.verify()).toMatchObject({ ok: true });
  });

  it('are not written twice when the spool outlived a flush that wrote them', async () => {
    const file = join(dir, 'twice.jsonl');
    const { proxy, url } = await TcpProxy.forDatabase(database.url);
    const first = connect(url, 2, log);
    const holding = new PgAuditStore(first.db, { outbox: { file, log, retryMs: 60_000 } });
    proxy.cut();
    expect(await holding.appendOrHold(outcome(4))).toEqual({ held: true });
    const spooled = readFileSync(file, 'utf8');
    proxy.restore();
    // Written (the database is back), and the process ends before it empties the spool.
    await eventually(async () => {
      await holding.append(outcome(5));
      expect(await rowsOf('late-4')).toHaveLength(1);
    });
    await holding.close();
    await first.pool.end();
    await proxy.stop();
    writeFileSync(file, spooled);

    const next = new PgAuditStore(database.db, { outbox: { file, log, retryMs: 50 } });
    try {
      await eventually(() => expect(readFileSync(file, 'utf8')).toBe(''));
      expect(await rowsOf('late-4')).toHaveLength(1);
    } finally {
      await next.close();
    }
  });
});
