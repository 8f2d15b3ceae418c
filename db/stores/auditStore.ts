import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, gte, inArray, like, or, type SQL, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Logger } from 'pino';
import { AuditUnavailableError, errorMessage } from '../../core/errors.ts';
import { clipText, storableText } from '../../core/text.ts';
import { tracing } from '../../core/tracing.ts';
import { AuditOutbox, type OutboxOptions } from '../audit/auditOutbox.ts';
import { type VerifyOptions, type VerifyResult, verifyAuditChain } from '../audit/verifyAuditChain.ts';
import type { Db } from '../connect.ts';
import { type AuditKind, auditLog } from '../schema.ts';

export interface AuditEntry {
  requestId: string;
  kind: AuditKind;
  /** Where the request came from: slack, console, cli, button, system. */
  entry: string;
  slackUserId?: string | null;
  /** Slack's name for the person, for someone the directory does not know. */
  slackName?: string | null;
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
  /**
   * Names this row across tries (unique in the log): the same key again is the same row, already
   * written. The store chooses one when the caller did not.
   */
  idempotencyKey?: string;
  /** The trace the row belongs to; the active trace's when not given (none without tracing). */
  traceId?: string | null;
}

export type AuditRecord = typeof auditLog.$inferSelect;

export type { VerifyOptions, VerifyResult };

/**
 * One person's rows: those with any of what is given (an outsider's rows have no e-mail when
 * Slack did not tell it, but their Slack user id and name).
 */
export interface AuditPerson {
  email?: string | undefined;
  slackUserId?: string | undefined;
  /** Slack's name for them, matched whole or by its first word, in any case. */
  slackName?: string | undefined;
}

export interface AuditSearch {
  email?: string | undefined;
  person?: AuditPerson | undefined;
  /** An action or a pattern ending in `.*`. */
  action?: string | undefined;
  since?: Date | undefined;
  kinds?: AuditKind[] | undefined;
  /** Rows about any of these resources (`team:team-x`, `service:orders-api`). */
  resources?: readonly string[] | undefined;
  requestId?: string | undefined;
  limit: number;
  /** Rows to skip, newest first: the pages after the first. */
  offset?: number | undefined;
}

/** How a row recording something that already happened went. */
export type Recorded = { written: { id: number; at: Date } } | { held: true } | { dropped: true };

export interface AuditStore {
  /** Appends one row; throws AuditUnavailableError when it cannot, so the caller does not act. */
  append(entry: AuditEntry): Promise<{ id: number; at: Date }>;
  /**
   * Records what already happened and cannot be undone (an outcome, a change made): written now
   * when the database can take it, otherwise held (see AuditOutbox) and written when it answers
   * again; `dropped` only when even that is impossible (the outbox full).
   */
  appendOrHold(entry: AuditEntry): Promise<Recorded>;
  search(filter: AuditSearch): Promise<AuditRecord[]>;
  /** How many rows a search without its limit would find. */
  count(filter: Omit<AuditSearch, 'limit' | 'offset'>): Promise<number>;
  /**
   * Recomputes the chain in this process (not with the database's functions) and reports the
   * first broken link; with checkpoints, also a rewritten chain or a removed tail.
   */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
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
  // Every text column takes any string: a NUL in an e-mail or a channel must not lose the row.
  return {
    requestId: storableText(entry.requestId),
    kind: entry.kind,
    entry: storableText(entry.entry),
    slackUserId: noNul(entry.slackUserId ?? null),
    slackName: noNul(entry.slackName ?? null),
    email: noNul(entry.email ?? null),
    channel: noNul(entry.channel ?? null),
    command: noNul(entry.command ?? null),
    commandText: noNul(clip(entry.commandText)),
    args: jsonSafe(entry.args),
    action: noNul(entry.action ?? null),
    resource: noNul(entry.resource ?? null),
    decision: entry.decision ?? null,
    reason: noNul(clip(entry.reason)),
    grantRef: jsonSafe(entry.grantRef),
    outcome: noNul(entry.outcome ?? null),
    error: noNul(clip(entry.error)),
    durationMs: entry.durationMs ?? null,
    detail: jsonSafe(entry.detail),
    idempotencyKey: entry.idempotencyKey ?? randomUUID(),
    traceId: entry.traceId ?? tracing().traceId() ?? null,
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

/**
 * A connection that was never made: nothing was sent, so there is no answer to have lost, and
 * trying again at once would only make the caller wait twice for a database that is away.
 */
function neverConnected(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return true;
    if (/trying to connect|connection timeout/i.test(e.message)) return true;
  }
  return false;
}

type Row = typeof auditLog.$inferInsert;

/** The columns an append sets, with their SQL types; the trigger sets id, at and the hashes. */
const INSERT_COLUMNS: readonly [keyof Row, string, string][] = (
  [
    ['requestId', 'request_id', 'text'],
    ['kind', 'kind', 'text'],
    ['entry', 'entry', 'text'],
    ['slackUserId', 'slack_user_id', 'text'],
    ['slackName', 'slack_name', 'text'],
    ['email', 'email', 'text'],
    ['channel', 'channel', 'text'],
    ['command', 'command', 'text'],
    ['commandText', 'command_text', 'text'],
    ['args', 'args', 'jsonb'],
    ['action', 'action', 'text'],
    ['resource', 'resource', 'text'],
    ['decision', 'decision', 'text'],
    ['reason', 'reason', 'text'],
    ['grantRef', 'grant_ref', 'jsonb'],
    ['outcome', 'outcome', 'text'],
    ['error', 'error', 'text'],
    ['durationMs', 'duration_ms', 'int'],
    ['detail', 'detail', 'jsonb'],
    ['idempotencyKey', 'idempotency_key', 'text'],
    ['traceId', 'trace_id', 'text'],
  ] as const
).map(([key, column, type]) => [key, type, column]);

const INSERT_ROWS = `INSERT INTO audit_log (${INSERT_COLUMNS.map((c) => c[2]).join(', ')})
  SELECT ${INSERT_COLUMNS.map((c) => c[2]).join(', ')}
  FROM unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 1}::${c[1]}[]`).join(', ')})
    WITH ORDINALITY AS r(${INSERT_COLUMNS.map((c) => c[2]).join(', ')}, n)
  ORDER BY n
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, at, idempotency_key`;

/** The append as one named statement, prepared once per connection. */
function insertQuery(rows: readonly Row[]): pg.QueryConfig {
  const values = INSERT_COLUMNS.map(([key, type]) =>
    rows.map((row) => {
      const value = row[key];
      if (value === undefined || value === null) return null;
      return type === 'jsonb' ? JSON.stringify(value) : value;
    }),
  );
  return { name: 'dpbot.audit.append', text: INSERT_ROWS, values };
}

/**
 * What a connection's first audit row costs, paid before any request waits for it: PostgreSQL
 * compiles the chain triggers' PL/pgSQL, plans their queries and loads the table's catalog
 * entries once per connection (about 10 ms against 1–3 ms after), and the append is prepared on
 * it. The row is rolled back inside the caller's transaction: its id comes from the chain head,
 * which the rollback leaves where it was, so the log shows no row and no gap.
 */
export async function warmAuditAppend(client: pg.ClientBase): Promise<void> {
  await client.query(
    insertQuery([rowOf({ requestId: 'warm-up', kind: 'attempt', entry: 'system', traceId: null })]),
  );
}

/**
 * Builds the statement an append of `entry` would send, and sends nothing: the start's rehearsal
 * of a command (pipeline/rehearsal.ts) runs this part of the append so that the first person's
 * row is not the one that pays for compiling it.
 */
export function rehearseAppend(entry: AuditEntry): void {
  insertQuery([rowOf(entry)]);
}

/** Rows an earlier try wrote: the insert skips them, so their ids are read back. */
const WRITTEN_BEFORE =
  'SELECT id, at, idempotency_key FROM audit_log WHERE idempotency_key = ANY($1::text[])';

interface Written {
  id: number;
  at: Date;
}

interface Queued {
  row: Row;
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
  readonly #outbox: AuditOutbox<AuditEntry> | undefined;

  /** With `outbox`, rows that record what already happened are held while the database is away. */
  constructor(db: Db, options: { outbox?: Omit<OutboxOptions, 'log'> & { log: Logger } } = {}) {
    this.db = db;
    if (options.outbox) {
      this.#outbox = new AuditOutbox(
        {
          append: (entry) => this.append(entry),
          writtenLate: (requestId, key) => this.#writtenLate(requestId, key),
        },
        options.outbox,
      );
      this.#outbox.open();
    }
  }

  async appendOrHold(given: AuditEntry): Promise<Recorded> {
    const happenedAt = new Date();
    // The key is chosen before the first try, so a held row whose first try did commit (its
    // answer lost on the way back) is recognised when the outbox writes it again.
    // So is the trace: a held row is written later, outside the request.
    const entry = {
      ...given,
      idempotencyKey: given.idempotencyKey ?? randomUUID(),
      traceId: given.traceId ?? tracing().traceId() ?? null,
    };
    try {
      return { written: await this.append(entry) };
    } catch (error) {
      if (!(error instanceof AuditUnavailableError) || !this.#outbox) throw error;
      return (await this.#outbox.hold(entry, happenedAt)) ? { held: true } : { dropped: true };
    }
  }

  async #writtenLate(requestId: string, key: string): Promise<boolean> {
    const found = await this.db.execute(
      sql`SELECT 1 FROM audit_log WHERE request_id = ${requestId} AND detail->'recordedLate'->>'key' = ${key} LIMIT 1`,
    );
    return found.rows.length > 0;
  }

  /** Rows still held, waiting for the database. */
  get held(): number {
    return this.#outbox?.size ?? 0;
  }

  /** Tries the held rows once more and stops retrying; what is left stays in the spool file. */
  async close(): Promise<void> {
    await this.#outbox?.close();
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

  /**
   * One statement whatever the number of rows: a column per parameter (arrays, unnested in the
   * order given), prepared once per connection, so the server neither parses nor plans it again
   * and the rows go out while the chain head is free.
   */
  async #insert(rows: Row[]): Promise<Map<string, Written>> {
    type Answer = { id: string; at: Date; idempotency_key: string };
    const result = await this.db.$client.query<Answer>(insertQuery(rows));
    const written = new Map(result.rows.map((r) => [r.idempotency_key, { id: Number(r.id), at: r.at }]));
    const skipped = rows.map((r) => r.idempotencyKey as string).filter((key) => !written.has(key));
    if (skipped.length > 0) {
      const before = await this.db.$client.query<Answer>(WRITTEN_BEFORE, [skipped]);
      for (const r of before.rows) written.set(r.idempotency_key, { id: Number(r.id), at: r.at });
    }
    return written;
  }

  /**
   * The insert, tried once more when the connection failed without the database's answer: the
   * rows may be committed already, and their keys make the second try find them instead of
   * writing them twice. A database that is away fails the second try too.
   */
  async #insertOnce(rows: Row[]): Promise<Map<string, Written>> {
    try {
      return await this.#insert(rows);
    } catch (error) {
      if (databaseError(error) || neverConnected(error)) throw error;
      return this.#insert(rows);
    }
  }

  async #write(batch: Queued[]): Promise<void> {
    try {
      const written = await this.#insertOnce(batch.map((q) => q.row));
      const rows = batch.map((q) => written.get(q.row.idempotencyKey as string));
      if (rows.some((r) => r === undefined))
        throw new Error(`the insert returned ${written.size} rows for ${batch.length}`);
      for (const [i, q] of batch.entries()) q.resolve(rows[i] as Written);
      // The database answers again: rows held while it was away need not wait for the next try.
      if (this.#outbox?.size) void this.#outbox.flush();
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
    if (filter.person) {
      const { email, slackUserId, slackName } = filter.person;
      const any = [
        email && eq(auditLog.email, email.toLowerCase()),
        slackUserId && eq(auditLog.slackUserId, slackUserId),
        slackName &&
          or(
            sql`lower(${auditLog.slackName}) = ${slackName.toLowerCase()}`,
            sql`starts_with(lower(${auditLog.slackName}), ${`${slackName.toLowerCase()} `})`,
          ),
      ].filter((c): c is SQL => c !== undefined && c !== '');
      // A person named by nothing matches no row rather than every row.
      where.push(any.length ? (or(...any) as SQL) : sql`false`);
    }
    if (filter.action) {
      if (filter.action.endsWith('.*')) where.push(like(auditLog.action, `${filter.action.slice(0, -1)}%`));
      else where.push(eq(auditLog.action, filter.action));
    }
    if (filter.since) where.push(gte(auditLog.at, filter.since));
    if (filter.kinds?.length) where.push(inArray(auditLog.kind, filter.kinds));
    if (filter.resources) where.push(inArray(auditLog.resource, [...filter.resources]));
    if (filter.requestId) where.push(eq(auditLog.requestId, filter.requestId));
    return where.length ? and(...where) : undefined;
  }

  verify(options?: VerifyOptions): Promise<VerifyResult> {
    return verifyAuditChain(this.db.$client, options);
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
