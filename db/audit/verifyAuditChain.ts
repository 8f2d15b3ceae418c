import type pg from 'pg';
import { AUDIT_HASHED_COLUMNS, canonicalOfValues, GENESIS_HASH, sha256Hex } from './auditRowHash.ts';

/** A chain head someone vouched for outside the database: row `id` had hash `hash` at `signedAt`. */
export interface ChainAnchor {
  id: number;
  hash: string;
  signedAt?: string;
}

export type VerifyResult =
  | { ok: true; rows: number; lastId: number; lastHash: string; checkpoints: number }
  | { ok: false; rows: number; brokenAt: number; problem: string };

export interface VerifyOptions {
  /** Signed checkpoints to hold the log to: each row they name must still have their hash. */
  checkpoints?: readonly ChainAnchor[];
  /**
   * Verify only the rows after this anchor (a checkpoint already written), after checking that
   * its row still has its hash: how a new checkpoint extends the last one without a full pass.
   */
  after?: ChainAnchor;
  /** Rows per read (default 5,000); the next page is read while this one is hashed. */
  pageSize?: number;
}

/** Every column as PostgreSQL prints it: no Date or JSON parsing, number literals kept. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

const SELECT = `SELECT ${AUDIT_HASHED_COLUMNS.join(', ')}, hash FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2`;
const ID = AUDIT_HASHED_COLUMNS.indexOf('id');
const PREV = AUDIT_HASHED_COLUMNS.indexOf('prev_hash');
const HASH = AUDIT_HASHED_COLUMNS.length;

const when = (a: ChainAnchor) => (a.signedAt ? ` signed at ${a.signedAt}` : '');

/**
 * Recomputes the audit chain here, in Node, from the rows' contents: nothing of the database's
 * own hash functions is used, so replacing them (or disabling the triggers and rewriting rows)
 * cannot make a changed log look intact. Checkpoints signed outside the database catch what a
 * consistent rewrite of the whole chain would hide: a changed row before a checkpoint, or rows
 * removed from the end.
 *
 * Rows are read a page at a time in one read-only snapshot; the next page is requested before
 * the current one is hashed, so reading and hashing overlap.
 */
export async function verifyAuditChain(pool: pg.Pool, options: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 5000;
  const anchors = new Map<number, ChainAnchor>();
  for (const c of options.checkpoints ?? []) {
    const seen = anchors.get(c.id);
    if (seen && seen.hash !== c.hash)
      return {
        ok: false,
        rows: 0,
        brokenAt: c.id,
        problem: `two checkpoints name different hashes for row ${c.id}${when(seen)} and${when(c)}: one of them was not made from this log`,
      };
    anchors.set(c.id, c);
  }
  const after = options.after;
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // The canonical text has `at` in UTC; timestamptz prints in the session's zone.
    await client.query("SET LOCAL TimeZone = 'UTC'");
    await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
    const page = (from: number, limit = pageSize) => {
      const query = client.query<(string | null)[]>({
        text: SELECT,
        values: [from, limit],
        rowMode: 'array',
        types: RAW_TEXT,
      });
      // A page read ahead is awaited only if no break was found before it; it must not fail unheard.
      query.catch(() => undefined);
      return query;
    };

    let expectedId = 1;
    let prevHash = GENESIS_HASH;
    if (after) {
      const [row] = (await page(after.id, 1)).rows;
      if (!row || Number(row[ID]) !== after.id)
        return {
          ok: false,
          rows: 0,
          brokenAt: after.id,
          problem: `row ${after.id}, the last checkpoint${when(after)}, is missing: the log was cut back`,
        };
      if (row[HASH] !== after.hash || sha256Hex(canonicalOfValues(row)) !== after.hash)
        return {
          ok: false,
          rows: 0,
          brokenAt: after.id,
          problem: `row ${after.id} no longer has the hash the checkpoint${when(after)} recorded: the log was rewritten`,
        };
      expectedId = after.id + 1;
      prevHash = after.hash;
    }

    let rows = 0;
    let checked = 0;
    let next = page(expectedId);
    for (;;) {
      const batch = (await next).rows;
      const last = batch.at(-1);
      // Asked for before this page is hashed, so the database reads it meanwhile.
      if (batch.length === pageSize && last) next = page(Number(last[ID]) + 1);
      for (const row of batch) {
        const id = Number(row[ID]);
        const stored = row[HASH] as string;
        const broken = (problem: string): VerifyResult => ({ ok: false, rows, brokenAt: id, problem });
        if (id !== expectedId)
          return broken(
            expectedId === id - 1
              ? `row ${expectedId} is missing: it was deleted`
              : `rows ${expectedId}–${id - 1} are missing: they were deleted`,
          );
        if (row[PREV] !== prevHash)
          return broken(`row ${id} does not link to the row before it: that row was changed or removed`);
        if (sha256Hex(canonicalOfValues(row)) !== stored)
          return broken(`row ${id} was changed after it was written: its hash does not match its contents`);
        const anchor = anchors.get(id);
        if (anchor) {
          if (anchor.hash !== stored)
            return broken(
              `row ${id} differs from the checkpoint${when(anchor)}: the log was rewritten and its chain recomputed`,
            );
          checked++;
        }
        prevHash = stored;
        expectedId = id + 1;
        rows++;
      }
      if (batch.length < pageSize) break;
    }
    const lastId = expectedId - 1;
    const beyond = [...anchors.values()].filter((a) => a.id > lastId).sort((a, b) => b.id - a.id)[0];
    if (beyond)
      return {
        ok: false,
        rows,
        brokenAt: lastId + 1,
        problem: `the log ends at row ${lastId} but the checkpoint${when(beyond)} recorded row ${beyond.id}: rows ${lastId + 1}–${beyond.id} were removed`,
      };
    const head = await client.query<{ last_id: string; last_hash: string }>({
      text: 'SELECT last_id, last_hash FROM audit_head',
      types: RAW_TEXT,
    });
    const h = head.rows[0];
    if (h && (Number(h.last_id) !== lastId || (lastId > 0 && h.last_hash !== prevHash)))
      return {
        ok: false,
        rows,
        brokenAt: lastId + 1,
        problem: `the log ends at row ${lastId} but ${h.last_id} rows were written: the last rows were deleted`,
      };
    return { ok: true, rows, lastId, lastHash: prevHash, checkpoints: checked };
  } finally {
    // Read-only: nothing to keep. A page read ahead when a break was found is answered first.
    let lost: Error | undefined;
    await client.query('ROLLBACK').catch((error: unknown) => {
      lost = error instanceof Error ? error : new Error(String(error));
    });
    client.release(lost);
  }
}
