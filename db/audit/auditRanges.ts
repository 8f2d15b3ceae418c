import type pg from 'pg';
import { AUDIT_HASHED_COLUMNS, canonicalOfValues, sha256Hex } from './auditRowHash.ts';

/** A chain head someone vouched for outside the database: row `id` had hash `hash` at `signedAt`. */
export interface ChainAnchor {
  id: number;
  hash: string;
  signedAt?: string;
}

/** Every column as PostgreSQL prints it: no Date or JSON parsing, number literals kept. */
export const RAW_TEXT = { getTypeParser: () => (value: string) => value };

const SELECT = `SELECT ${AUDIT_HASHED_COLUMNS.join(', ')}, hash FROM audit_log WHERE id >= $1 AND id <= $2 ORDER BY id LIMIT $3`;
export const ID = AUDIT_HASHED_COLUMNS.indexOf('id');
const PREV = AUDIT_HASHED_COLUMNS.indexOf('prev_hash');
export const HASH = AUDIT_HASHED_COLUMNS.length;

export type RawRow = (string | null)[];

/** Opens a read-only transaction with timestamps printed in UTC (the canonical text's `at`). */
export async function beginAuditRead(client: pg.ClientBase, snapshot?: string): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  // Another connection's exported snapshot: every reader of one verification sees the same log.
  if (snapshot) await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
  await client.query("SET LOCAL TimeZone = 'UTC'");
  await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
}

/**
 * The rows with `from <= id <= to` in id order, a page at a time, as PostgreSQL prints them
 * (columns in AUDIT_HASHED_COLUMNS order, then `hash`). With `readAhead`, the next page is
 * requested as soon as a page arrives, so the database reads it while the caller works on this one.
 */
export async function* auditRowPages(
  client: pg.ClientBase,
  range: { from: number; to?: number },
  pageSize: number,
  readAhead = true,
): AsyncGenerator<RawRow[]> {
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  const page = (start: number) => {
    const query = client.query<RawRow>({
      text: SELECT,
      values: [start, to, pageSize],
      rowMode: 'array',
      types: RAW_TEXT,
    });
    // A page read ahead is awaited only if the caller reads on; it must not fail unheard.
    query.catch(() => undefined);
    return query;
  };
  let next: Promise<pg.QueryResult<RawRow>> | undefined = page(range.from);
  while (next) {
    const rows: RawRow[] = (await next).rows;
    const last = rows.at(-1);
    const following: number | undefined = rows.length === pageSize && last ? Number(last[ID]) + 1 : undefined;
    next = following !== undefined && readAhead ? page(following) : undefined;
    yield rows;
    if (following !== undefined && !readAhead) next = page(following);
  }
}

/** What one reader found in its part of the log. */
export interface RangeResult {
  rows: number;
  first?: { id: number; prev: string };
  last?: { id: number; hash: string };
  /** Checkpoints of this part whose rows still had their hashes. */
  checked: number;
  /** The first problem in this part, if any; rows before it were intact. */
  broken?: { id: number; problem: string };
}

export const when = (a: ChainAnchor) => (a.signedAt ? ` signed at ${a.signedAt}` : '');

export const missing = (from: number, to: number) =>
  from === to
    ? `row ${from} is missing: it was deleted`
    : `rows ${from}–${to} are missing: they were deleted`;

/**
 * Checks one part of the log: every row's hash recomputed from its contents, every row linked to
 * the one before it, no id skipped, and every checkpoint in the part still matching. How the part
 * joins the rows before it is for the caller to check (with `first`).
 */
export async function verifyRange(
  client: pg.ClientBase,
  range: { from: number; to?: number },
  anchors: ReadonlyMap<number, ChainAnchor>,
  pageSize: number,
): Promise<RangeResult> {
  const result: RangeResult = { rows: 0, checked: 0 };
  let expectedId = 0;
  let prevHash = '';
  for await (const page of auditRowPages(client, range, pageSize)) {
    for (const row of page) {
      const id = Number(row[ID]);
      const stored = row[HASH] as string;
      const prev = row[PREV] as string;
      let problem: string | undefined;
      if (!result.first) result.first = { id, prev };
      else if (id !== expectedId) problem = missing(expectedId, id - 1);
      else if (prev !== prevHash)
        problem = `row ${id} does not link to the row before it: that row was changed or removed`;
      if (!problem && sha256Hex(canonicalOfValues(row)) !== stored)
        problem = `row ${id} was changed after it was written: its hash does not match its contents`;
      const anchor = anchors.get(id);
      if (!problem && anchor) {
        if (anchor.hash !== stored)
          problem = `row ${id} differs from the checkpoint${when(anchor)}: the log was rewritten and its chain recomputed`;
        else result.checked++;
      }
      if (problem) {
        result.broken = { id, problem };
        return result;
      }
      result.last = { id, hash: stored };
      prevHash = stored;
      expectedId = id + 1;
      result.rows++;
    }
  }
  return result;
}
