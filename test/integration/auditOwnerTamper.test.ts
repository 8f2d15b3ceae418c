import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckpointSigner,
  checkpointSigner,
  readCheckpointFile,
  writeCheckpoint,
} from '../../db/audit/auditCheckpoints.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { scaleAttempt } from '../support/auditEntries.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let dir: string;
let signer: CheckpointSigner;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dpbot-checkpoints-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  signer = checkpointSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = scaleAttempt;

/**
 * A log of its own with `rows` rows, signed into a checkpoint file at row `signedAt`, and the
 * database's owner at hand: the role the migrations ran as, which may disable the triggers.
 */
async function withSignedLog(
  rows: number,
  signedAt: number,
  fn: (ctx: {
    s: PgAuditStore;
    db: TestDatabase;
    file: string;
    verify: () => ReturnType<PgAuditStore['verify']>;
  }) => Promise<void>,
) {
  const db = await createTestDatabase();
  const file = join(dir, `${db.name}.jsonl`);
  try {
    const s = new PgAuditStore(db.db);
    for (let i = 1; i <= rows; i++) {
      await s.append(entry(i));
      if (i === signedAt)
        expect(await writeCheckpoint(db.pool, { file, signer, now: new Date() })).toHaveProperty('written');
    }
    const verify = async () =>
      s.verify({ checkpoints: (await readCheckpointFile(file, signer.publicKey)).checkpoints });
    await fn({ s, db, file, verify });
  } finally {
    await db.drop();
  }
}

/** Runs SQL as the owner with every user trigger off: the chain trigger and the one refusing changes. */
const asOwner = (db: TestDatabase, sql: string) =>
  db.query(
    `BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT`,
  );

/** Recomputes every link from row `from` on with the database's own hash function, and the head. */
const rechain = (from: number) => `
  DO $$ DECLARE r record; prev text; BEGIN
    SELECT hash INTO prev FROM audit_log WHERE id = ${from - 1};
    IF prev IS NULL THEN prev := repeat('0', 64); END IF;
    FOR r IN SELECT id FROM audit_log WHERE id >= ${from} ORDER BY id LOOP
      UPDATE audit_log SET prev_hash = prev WHERE id = r.id;
      UPDATE audit_log a SET hash = audit_row_hash(a) WHERE id = r.id RETURNING hash INTO prev;
    END LOOP;
    UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_log), last_hash = prev;
  END $$`;

describe('the audit log holds against its owner', () => {
  it('(a) a row edited and the whole chain recomputed with the database’s function: caught by the checkpoint', async () => {
    await withSignedLog(15, 12, async ({ s, db, verify }) => {
      await asOwner(db, `UPDATE audit_log SET decision = 'deny' WHERE id = 5; ${rechain(5)}`);
      // Without an anchor outside the database, a consistent rewrite is indistinguishable.
      expect(await s.verify()).toMatchObject({ ok: true, rows: 15 });
      expect(await verify()).toMatchObject({
        ok: false,
        brokenAt: 12,
        problem: expect.stringMatching(
          /row 12 differs from the checkpoint signed at .*: the log was rewritten/,
        ),
      });
    });
  });

  it('(b) rows removed from the end, head moved back: caught by the checkpoint', async () => {
    await withSignedLog(15, 12, async ({ s, db, verify }) => {
      await asOwner(
        db,
        `DELETE FROM audit_log WHERE id > 10;
         UPDATE audit_head SET last_id = 10, last_hash = (SELECT hash FROM audit_log WHERE id = 10)`,
      );
      expect(await s.verify()).toMatchObject({ ok: true, rows: 10 });
      expect(await verify()).toMatchObject({
        ok: false,
        brokenAt: 11,
        problem: expect.stringMatching(
          /the log ends at row 10 but the checkpoint signed at .* recorded row 12: rows 11–12 were removed/,
        ),
      });
    });
  });

  it('(c) the hash function replaced in the database and every row rehashed: caught by the hash computed in Node', async () => {
    await withSignedLog(8, 8, async ({ s, db }) => {
      await asOwner(
        db,
        `CREATE OR REPLACE FUNCTION audit_row_hash(r audit_log) RETURNS text LANGUAGE sql STABLE AS $f$
           SELECT encode(sha256(convert_to(r.request_id || coalesce(r.decision, '') || r.prev_hash, 'UTF8')), 'hex')
         $f$;
         UPDATE audit_log SET email = 'mallory@example.com' WHERE id = 3;
         ${rechain(1)}`,
      );
      // The database's own check now agrees with the rewritten rows...
      const dbCheck = await db.query<{ bad: number }>(
        'SELECT count(*)::int AS bad FROM audit_log a WHERE hash <> audit_row_hash(a)',
      );
      expect(dbCheck.rows[0]?.bad).toBe(0);
      // ...but not with the canonical form computed here.
      expect(await s.verify()).toMatchObject({
        ok: false,
        brokenAt: 1,
        problem: 'row 1 was changed after it was written: its hash does not match its contents',
      });
    });
  });

  it('a checkpoint line altered or signed with another key is reported, and a broken log gets no new checkpoint', async () => {
    await withSignedLog(6, 6, async ({ s, db, file }) => {
      const line = readFileSync(file, 'utf8').trim();
      const forged = JSON.stringify({ ...JSON.parse(line), id: 3 });
      const { privateKey } = generateKeyPairSync('ed25519');
      const other = checkpointSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      const theirs = join(dir, `${db.name}-theirs.jsonl`);
      await s.append(entry(7));
      expect(await writeCheckpoint(db.pool, { file: theirs, signer: other, now: new Date() })).toHaveProperty(
        'written',
      );
      writeFileSync(file, `${line}\n${forged}\n${readFileSync(theirs, 'utf8')}`);
      const read = await readCheckpointFile(file, signer.publicKey);
      expect(read.checkpoints).toHaveLength(1);
      expect(read.problems).toEqual([
        'line 2 has a signature that does not match it: the line was altered',
        expect.stringMatching(/^line 3 is signed with another key/),
      ]);

      await asOwner(db, "UPDATE audit_log SET email = 'mallory@example.com' WHERE id = 7");
      expect(await writeCheckpoint(db.pool, { file, signer, now: new Date() })).toMatchObject({
        broken: { brokenAt: 7, problem: expect.stringContaining('row 7 was changed') },
      });
    });
  });

  it('extends the last checkpoint without a full pass, and writes nothing when the head has not moved', async () => {
    await withSignedLog(5, 5, async ({ s, db, file, verify }) => {
      expect(await writeCheckpoint(db.pool, { file, signer, now: new Date() })).toEqual({
        unchanged: expect.objectContaining({ id: 5 }),
      });
      await s.append(entry(6));
      expect(await writeCheckpoint(db.pool, { file, signer, now: new Date() })).toMatchObject({
        written: { id: 6 },
      });
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(await verify()).toMatchObject({ ok: true, rows: 6, checkpoints: 2 });
    });
  });

  it('verifies a long log in parts side by side, and finds a break in any part', async () => {
    await withSignedLog(40, 33, async ({ s, db, verify }) => {
      const parallel = { workers: 3, parallelFrom: 0 };
      const checkpoints = (await readCheckpointFile(join(dir, `${db.name}.jsonl`), signer.publicKey))
        .checkpoints;
      expect(await s.verify({ ...parallel, checkpoints, pageSize: 4 })).toEqual({
        ok: true,
        rows: 40,
        lastId: 40,
        lastHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        checkpoints: 1,
      });
      // 40 rows in 3 parts: 1–14 here, 15–28 and 29–40 in workers.
      await asOwner(db, "UPDATE audit_log SET reason = 'x' WHERE id = 30");
      expect(await s.verify({ ...parallel, pageSize: 4 })).toMatchObject({
        ok: false,
        brokenAt: 30,
        problem: expect.stringContaining('row 30 was changed'),
      });
      // The first break in id order is the one reported, here where two parts meet.
      await asOwner(db, 'DELETE FROM audit_log WHERE id = 14');
      expect(await verify()).toMatchObject({
        ok: false,
        brokenAt: 15,
        problem: 'row 14 is missing: it was deleted',
      });
      expect(await s.verify({ ...parallel, pageSize: 4 })).toMatchObject({
        ok: false,
        brokenAt: 15,
        problem: 'row 14 is missing: it was deleted',
      });
    });
  });
});
