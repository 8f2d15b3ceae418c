import { and, desc, eq, gt, gte, inArray, like, type SQL, sql } from 'drizzle-orm';
import { AuditUnavailableError, errorMessage } from '../../core/errors.ts';
import { clipText, storableText } from '../../core/text.ts';
import type { Db } from '../connect.ts';
import { type AuditKind, auditLog } from '../schema.ts';
import { insertAuditRows } from './auditInsert.ts';

export interface AuditEntry {
  requestId: string;
  kind: AuditKind;
  /** Where the request came from: slack, console, cli, button, system. */
  entry: string;
  slackUserId?: string | null;
  email?: string | null;
  channel?: string | null;
  command?: string | null;
  commandText?: string | null;
  args?: unknown;
  action?: string | null;
  resource?: string | null;
  decision?: 'allow' | 'deny' | 'invalid' | null;
  reason?: string | null;
  grantRef?: unknown;
  outcome?: string | null;
  error?: string | null;
  durationMs?: number | null;
  detail?: unknown;
}

export type AuditRecord = typeof auditLog.$inferSelect;

export type VerifyResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; brokenAt: number; problem: string };

export interface AuditSearch {
  email?: string | undefined;
  /** An action or a pattern ending in `.*`. */
  action?: string | undefined;
  since?: Date | undefined;
  kinds?: AuditKind[] | undefined;
  requestId?: string | undefined;
  limit: number;
  /** Rows to skip, newest first: the pages after the first. */
  offset?: number | undefined;
}

export interface AuditStore {
  /** Appends one row; throws AuditUnavailableError when it cannot, so the caller does not act. */
  append(entry: AuditEntry): Promise<{ id: number; at: Date }>;
  search(filter: AuditSearch): Promise<AuditRecord[]>;
  /** How many rows a search without its limit would find. */
  count(filter: Omit<AuditSearch, 'limit' | 'offset'>): Promise<number>;
  /** Recomputes the chain and reports the first broken link. */
  verify(): Promise<VerifyResult>;
  /** Streams rows with `at >= since` in chain order, a page at a time. */
  export(
    since: Date,
    onPage: (rows: AuditRecord[]) => Promise<void> | void,
    pageSize?: number,
  ): Promise<number>;
}

/** Longest command text kept in a row; longer input is cut and marked, not refused by the log. */
export const MAX_AUDITED_TEXT = 4000;

function clip(text: string | null | undefined): string | null {
  if (text == null) return null;
  if (text.length <= MAX_AUDITED_TEXT) return text;
  const kept = clipText(text, MAX_AUDITED_TEXT);
  return `${kept} [${text.length - kept.length + 1} more characters]`;
}

/** jsonb rejects NUL and lone surrogates; the log must still take whatever a caller typed. */
function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? storableText(v) : v)));
}

const noNul = (text: string | null): string | null => (text === null ? null : storableText(text));

function rowOf(entry: AuditEntry): typeof auditLog.$inferInsert {
  return {
    requestId: entry.requestId,
    kind: entry.kind,
    entry: entry.entry,
    slackUserId: entry.slackUserId ?? null,
    email: entry.email ?? null,
    channel: entry.channel ?? null,
    command: entry.command ?? null,
    commandText: noNul(clip(entry.commandText)),
    args: jsonSafe(entry.args),
    action: entry.action ?? null,
    resource: noNul(entry.resource ?? null),
    decision: entry.decision ?? null,
    reason: noNul(clip(entry.reason)),
    grantRef: jsonSafe(entry.grantRef),
    outcome: entry.outcome ?? null,
    error: noNul(clip(entry.error)),
    durationMs: entry.durationMs ?? null,
    detail: jsonSafe(entry.detail),
  };
}

/**
 * The database's own error under the wrappers drizzle puts around it (whose message repeats the
 * query and its parameters), with its SQLSTATE.
 */
function databaseError(error: unknown): { code: string; message: string } | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { code, message: e.message };
  }
  return undefined;
}

interface Queued {
  row: typeof auditLog.$inferInsert;
  resolve(written: { id: number; at: Date }): void;
  reject(error: unknown): void;
}

/** Rows written by one INSERT at most; each row updates the chain head inside its transaction. */
export const MAX_AUDIT_BATCH = 100;

/**
 * Every row takes the chain head's lock until its transaction commits, so appends are serialized
 * and one commit per row caps the rate. The store therefore writes what callers append while a
 * write is under way as one multi-row INSERT: one transaction, one commit, and the same chain
 * (the trigger runs for each row, in order). An append still resolves only once its row is
 * committed, so nothing acts before it is recorded.
 */
export class PgAuditStore implements AuditStore {
  private readonly db: Db;
  readonly #queue: Queued[] = [];
  #writing = false;

  constructor(db: Db) {
    this.db = db;
  }

  append(entry: AuditEntry): Promise<{ id: number; at: Date }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row: rowOf(entry), resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) await this.#write(this.#queue.splice(0, MAX_AUDIT_BATCH));
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: Queued[]): Promise<void> {
    try {
      const written = await insertAuditRows(
        this.db,
        batch.map((q) => q.row),
      );
      if (written.length !== batch.length)
        throw new Error(`the insert returned ${written.length} rows for ${batch.length}`);
      // The trigger numbers the rows in the order given, so the ids say which row is whose.
      written.sort((a, b) => a.id - b.id);
      for (const [i, q] of batch.entries()) q.resolve(written[i] as { id: number; at: Date });
    } catch (error) {
      // A row the database refuses must not take the others with it; an outage fails them all.
      const refused = databaseError(error);
      if (batch.length > 1 && /^2[23]/.test(refused?.code ?? '')) {
        for (const q of batch) await this.#write([q]);
        return;
      }
      const failure = new AuditUnavailableError(
        `the audit log could not be written: ${refused?.message ?? errorMessage(error)}`,
        { cause: error },
      );
      for (const q of batch) q.reject(failure);
    }
  }

  async search(filter: AuditSearch): Promise<AuditRecord[]> {
    const where = this.conditions(filter);
    return this.db
      .select()
      .from(auditLog)
      .where(where)
      .orderBy(desc(auditLog.id))
      .limit(filter.limit)
      .offset(filter.offset ?? 0);
  }

  async count(filter: Omit<AuditSearch, 'limit' | 'offset'>): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(auditLog)
      .where(this.conditions(filter));
    return row?.n ?? 0;
  }

  private conditions(filter: Omit<AuditSearch, 'limit' | 'offset'>): SQL | undefined {
    const where: SQL[] = [];
    if (filter.email) where.push(eq(auditLog.email, filter.email.toLowerCase()));
    if (filter.action) {
      if (filter.action.endsWith('.*')) where.push(like(auditLog.action, `${filter.action.slice(0, -1)}%`));
      else where.push(eq(auditLog.action, filter.action));
    }
    if (filter.since) where.push(gte(auditLog.at, filter.since));
    if (filter.kinds?.length) where.push(inArray(auditLog.kind, filter.kinds));
    if (filter.requestId) where.push(eq(auditLog.requestId, filter.requestId));
    return where.length ? and(...where) : undefined;
  }

  async verify(): Promise<VerifyResult> {
    const count = await this.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log`);
    const rows = count.rows[0]?.n ?? 0;
    const broken = await this.db.execute<{
      id: number;
      changed: boolean;
      relinked: boolean;
      gap_from: number | null;
    }>(sql`
      SELECT id::int AS id, hash <> expected AS changed, prev_hash <> prior_hash AS relinked,
             CASE WHEN id <> prior_id + 1 THEN prior_id::int END AS gap_from
      FROM (
        SELECT id, hash, prev_hash, audit_row_hash(a) AS expected,
               COALESCE(lag(hash) OVER w, repeat('0', 64)) AS prior_hash,
               COALESCE(lag(id) OVER w, 0) AS prior_id
        FROM audit_log a WINDOW w AS (ORDER BY id)
      ) chain
      WHERE hash <> expected OR prev_hash <> prior_hash OR id <> prior_id + 1
      ORDER BY id LIMIT 1`);
    const first = broken.rows[0];
    if (first) {
      let problem: string;
      if (first.gap_from !== null)
        problem = `rows ${first.gap_from + 1}–${first.id - 1} are missing: they were deleted`;
      else if (first.changed)
        problem = `row ${first.id} was changed after it was written: its hash does not match its contents`;
      else problem = `row ${first.id} does not link to the row before it: that row was changed or removed`;
      return { ok: false, rows, brokenAt: first.id, problem };
    }
    const tail = await this.db.execute<{
      head_id: number;
      head_hash: string;
      last_id: number | null;
      last_hash: string | null;
    }>(sql`
      SELECT h.last_id::int AS head_id, h.last_hash AS head_hash, l.id::int AS last_id, l.hash AS last_hash
      FROM audit_head h LEFT JOIN LATERAL (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) l ON true`);
    const t = tail.rows[0];
    if (t && (t.head_id !== (t.last_id ?? 0) || (t.last_hash !== null && t.head_hash !== t.last_hash))) {
      return {
        ok: false,
        rows,
        brokenAt: (t.last_id ?? 0) + 1,
        problem: `the log ends at row ${t.last_id ?? 0} but ${t.head_id} rows were written: the last rows were deleted`,
      };
    }
    return { ok: true, rows };
  }

  async export(
    since: Date,
    onPage: (rows: AuditRecord[]) => Promise<void> | void,
    pageSize = 5000,
  ): Promise<number> {
    let after = 0;
    let total = 0;
    for (;;) {
      const page = await this.db
        .select()
        .from(auditLog)
        .where(and(gt(auditLog.id, after), gte(auditLog.at, since)))
        .orderBy(auditLog.id)
        .limit(pageSize);
      if (page.length === 0) return total;
      await onPage(page);
      total += page.length;
      after = page[page.length - 1]?.id ?? after;
    }
  }
}
