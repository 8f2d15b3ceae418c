import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import {
  auditRowPages,
  beginAuditRead,
  type ChainAnchor,
  HASH,
  missing,
  RAW_TEXT,
  type RangeResult,
  verifyRange,
  when,
} from './auditRanges.ts';
import { canonicalOfValues, GENESIS_HASH, sha256Hex } from './auditRowHash.ts';
import type { RangeTask } from './verifyRangeWorker.ts';

export type { ChainAnchor };

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
  /**
   * Parts the log is cut into, verified side by side: this thread takes the first, a worker thread
   * on a connection of its own each other one (default: one per core, at most 4, for logs of
   * `parallelFrom` rows or more; 1 verifies everything in this thread).
   */
  workers?: number;
  /** Logs shorter than this are verified in this thread (default 100,000 rows). */
  parallelFrom?: number;
}

const broken = (rows: number, brokenAt: number, problem: string): VerifyResult => ({
  ok: false,
  rows,
  brokenAt,
  problem,
});

/**
 * Recomputes the audit chain here, in Node, from the rows' contents: nothing of the database's
 * own hash functions is used, so replacing them (or disabling the triggers and rewriting rows)
 * cannot make a changed log look intact. Checkpoints signed outside the database catch what a
 * consistent rewrite of the whole chain would hide: a changed row before a checkpoint, or rows
 * removed from the end.
 *
 * Everything is read in one snapshot. A long log is cut into parts verified side by side by
 * worker threads (each reading the same exported snapshot), then joined here: each part must
 * start where the one before it ended. Within a part the next page is read while one is hashed.
 */
export async function verifyAuditChain(pool: pg.Pool, options: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 5000;
  const anchors = new Map<number, ChainAnchor>();
  for (const c of options.checkpoints ?? []) {
    const seen = anchors.get(c.id);
    if (seen && seen.hash !== c.hash)
      return broken(
        0,
        c.id,
        `two checkpoints name different hashes for row ${c.id}${when(seen)} and${when(c)}: one of them was not made from this log`,
      );
    anchors.set(c.id, c);
  }
  const after = options.after;
  const client = await pool.connect();
  try {
    await beginAuditRead(client);
    let start = 1;
    let prevHash = GENESIS_HASH;
    if (after) {
      let row: (string | null)[] | undefined;
      for await (const page of auditRowPages(client, { from: after.id, to: after.id }, 1, false)) {
        row = page[0];
        break;
      }
      if (!row)
        return broken(
          0,
          after.id,
          `row ${after.id}, the last checkpoint${when(after)}, is missing: the log was cut back`,
        );
      if (row[HASH] !== after.hash || sha256Hex(canonicalOfValues(row)) !== after.hash)
        return broken(
          0,
          after.id,
          `row ${after.id} no longer has the hash the checkpoint${when(after)} recorded: the log was rewritten`,
        );
      start = after.id + 1;
      prevHash = after.hash;
    }
    const bounds = await client.query<{ max_id: string | null; last_id: string; last_hash: string }>({
      text: 'SELECT (SELECT max(id) FROM audit_log) AS max_id, last_id, last_hash FROM audit_head',
      types: RAW_TEXT,
    });
    const maxId = Number(bounds.rows[0]?.max_id ?? 0);
    const parts = await verifyParts(pool, client, start, maxId, anchors, pageSize, options);

    let rows = 0;
    let checked = 0;
    let expectedId = start;
    for (const part of parts) {
      if (part.first) {
        if (part.first.id !== expectedId)
          return broken(rows, part.first.id, missing(expectedId, part.first.id - 1));
        if (part.first.prev !== prevHash)
          return broken(
            rows,
            part.first.id,
            `row ${part.first.id} does not link to the row before it: that row was changed or removed`,
          );
      }
      rows += part.rows;
      checked += part.checked;
      if (part.broken) return broken(rows, part.broken.id, part.broken.problem);
      if (part.last) {
        expectedId = part.last.id + 1;
        prevHash = part.last.hash;
      }
    }
    const lastId = expectedId - 1;
    const beyond = [...anchors.values()].filter((a) => a.id > lastId).sort((a, b) => b.id - a.id)[0];
    if (beyond)
      return broken(
        rows,
        lastId + 1,
        `the log ends at row ${lastId} but the checkpoint${when(beyond)} recorded row ${beyond.id}: rows ${lastId + 1}–${beyond.id} were removed`,
      );
    const head = bounds.rows[0];
    if (head && Number(head.last_id) > lastId)
      return broken(
        rows,
        lastId + 1,
        `the log ends at row ${lastId} but ${head.last_id} rows were written: the last rows were deleted`,
      );
    if (head && (Number(head.last_id) < lastId || (lastId > 0 && head.last_hash !== prevHash)))
      return broken(
        rows,
        Number(head.last_id),
        `the chain's head (row ${head.last_id}) is not the log's last row (${lastId}): rows were written or changed past the chain's triggers`,
      );
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

/** The parts of [start, maxId], verified here or by workers, in id order. */
async function verifyParts(
  pool: pg.Pool,
  client: pg.PoolClient,
  start: number,
  maxId: number,
  anchors: ReadonlyMap<number, ChainAnchor>,
  pageSize: number,
  options: VerifyOptions,
): Promise<RangeResult[]> {
  const span = maxId - start + 1;
  const connectionString = (pool.options as { connectionString?: string }).connectionString;
  const workers =
    options.workers ?? (span >= (options.parallelFrom ?? 100_000) ? Math.min(availableParallelism(), 4) : 1);
  if (workers <= 1 || span < workers || !connectionString)
    return [await verifyRange(client, { from: start }, anchors, pageSize)];
  const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]?.s;
  if (!snapshot) throw new Error('PostgreSQL exported no snapshot');
  const size = Math.ceil(span / workers);
  const part = (i: number) => {
    const from = start + i * size;
    // The last part takes no upper bound: rows past maxId are outside the snapshot anyway.
    return { from, to: i === workers - 1 ? Number.MAX_SAFE_INTEGER : from + size - 1 };
  };
  // This thread verifies the first part itself; each other part gets a worker.
  return Promise.all([
    verifyRange(client, part(0), anchors, pageSize),
    ...Array.from({ length: workers - 1 }, (_, i) => {
      const { from, to } = part(i + 1);
      return inWorker({
        connectionString,
        snapshot,
        from,
        to,
        anchors: [...anchors.values()].filter((a) => a.id >= from && a.id <= to),
        pageSize,
      });
    }),
  ]);
}

// Compiled to dist/ the worker is a .js file beside this one; run from source, a .ts file.
const workerFile = new URL(
  import.meta.url.endsWith('.ts') ? './verifyRangeWorker.ts' : './verifyRangeWorker.js',
  import.meta.url,
);

function inWorker(task: RangeTask): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile, { workerData: task });
    let answered = false;
    worker.once('message', (message: { ok: true; result: RangeResult } | { ok: false; error: string }) => {
      answered = true;
      if (message.ok) resolve(message.result);
      else reject(new Error(`verifying rows ${task.from}–${task.to} failed: ${message.error}`));
    });
    worker.once('error', (error) => {
      answered = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!answered)
        reject(new Error(`the worker verifying rows from ${task.from} ended (${code}) without an answer`));
    });
  });
}
