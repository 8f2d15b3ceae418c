import { sql } from 'drizzle-orm';
import type { Db } from '../../../db/connect.ts';
import { directorySyncRuns, type SyncStatus } from '../../../db/schema.ts';

export type SyncTrigger = 'schedule' | 'command' | 'cli' | 'start';

export interface SyncRunRecord {
  source: string;
  trigger: SyncTrigger;
  requestedBy: string | null;
  status: SyncStatus;
  forced: boolean;
  startedAt: Date;
  finishedAt: Date;
  counts: Record<string, number>;
  error: string | null;
}

/** Per source: the last run, the last that succeeded (applied or unchanged) and the last failure or refusal. */
export interface SourceSyncStatus {
  source: string;
  last: SyncRunRecord;
  lastSuccess: SyncRunRecord | null;
  lastProblem: SyncRunRecord | null;
}

export interface SyncRunStore {
  record(run: SyncRunRecord): Promise<void>;
  /** The last run of a source that was not a dry run. */
  lastReal(source: string): Promise<SyncRunRecord | undefined>;
  status(): Promise<SourceSyncStatus[]>;
}

/** Runs older than this are pruned as new ones are written; `access status` needs only the latest. */
const RETENTION_DAYS = 30;

type RawRow = {
  source: string;
  trigger: SyncTrigger;
  requested_by: string | null;
  status: SyncStatus;
  forced: boolean;
  started_at: string | Date;
  finished_at: string | Date;
  counts: Record<string, number>;
  error: string | null;
};
const fromRaw = (r: RawRow): SyncRunRecord => ({
  source: r.source,
  trigger: r.trigger,
  requestedBy: r.requested_by,
  status: r.status,
  forced: r.forced,
  startedAt: new Date(r.started_at),
  finishedAt: new Date(r.finished_at),
  counts: r.counts,
  error: r.error,
});

export class PgSyncRunStore implements SyncRunStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async record(run: SyncRunRecord): Promise<void> {
    await this.db.insert(directorySyncRuns).values(run);
    await this.db.execute(sql`
      DELETE FROM directory_sync_runs
      WHERE source = ${run.source} AND started_at < now() - make_interval(days => ${RETENTION_DAYS})`);
  }

  async lastReal(source: string): Promise<SyncRunRecord | undefined> {
    const rows = await this.db.execute<RawRow>(sql`
      SELECT * FROM directory_sync_runs WHERE source = ${source} AND status <> 'dry_run'
      ORDER BY started_at DESC, id DESC LIMIT 1`);
    const row = rows.rows[0];
    return row ? fromRaw(row) : undefined;
  }

  async status(): Promise<SourceSyncStatus[]> {
    const rows = await this.db.execute<RawRow & { which: 'last' | 'success' | 'problem' }>(sql`
      SELECT * FROM (
        SELECT DISTINCT ON (source) 'last' AS which, * FROM directory_sync_runs ORDER BY source, started_at DESC, id DESC
      ) a
      UNION ALL
      SELECT * FROM (
        SELECT DISTINCT ON (source) 'success', * FROM directory_sync_runs WHERE status IN ('applied', 'unchanged')
        ORDER BY source, started_at DESC, id DESC
      ) b
      UNION ALL
      SELECT * FROM (
        SELECT DISTINCT ON (source) 'problem', * FROM directory_sync_runs WHERE status IN ('failed', 'refused')
        ORDER BY source, started_at DESC, id DESC
      ) c`);
    const out = new Map<string, SourceSyncStatus>();
    for (const r of rows.rows.filter((r) => r.which === 'last'))
      out.set(r.source, { source: r.source, last: fromRaw(r), lastSuccess: null, lastProblem: null });
    for (const r of rows.rows) {
      const s = out.get(r.source);
      if (!s) continue;
      if (r.which === 'success') s.lastSuccess = fromRaw(r);
      if (r.which === 'problem') s.lastProblem = fromRaw(r);
    }
    return [...out.values()].sort((a, b) => a.source.localeCompare(b.source));
  }
}
