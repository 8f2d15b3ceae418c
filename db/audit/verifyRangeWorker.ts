import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { beginAuditRead, type ChainAnchor, verifyRange } from './auditRanges.ts';

/** What verifyAuditChain hands a worker: one part of the log, read in the caller's snapshot. */
export interface RangeTask {
  connectionString: string;
  snapshot: string;
  from: number;
  to: number;
  anchors: ChainAnchor[];
  pageSize: number;
}

const task = workerData as RangeTask;
const client = new pg.Client({ connectionString: task.connectionString });
try {
  await client.connect();
  await beginAuditRead(client, task.snapshot);
  const anchors = new Map(task.anchors.map((a) => [a.id, a]));
  const result = await verifyRange(client, { from: task.from, to: task.to }, anchors, task.pageSize);
  await client.query('ROLLBACK');
  parentPort?.postMessage({ ok: true, result });
} catch (error) {
  parentPort?.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
} finally {
  await client.end().catch(() => undefined);
}
