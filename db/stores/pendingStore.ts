import { and, eq, gte, lte, sql } from 'drizzle-orm';
import type { Db } from '../connect.ts';
import { approvals, auditLog, type PendingStatus, pendingActions } from '../schema.ts';

export type PendingAction = typeof pendingActions.$inferSelect;
export type NewPendingAction = Omit<
  typeof pendingActions.$inferInsert,
  'id' | 'status' | 'decidedBy' | 'decidedAt' | 'createdAt'
>;

export type DecideResult =
  | { won: true; action: PendingAction }
  /** Someone (or expiry) got there first; `action` shows who and when. */
  | { won: false; action: PendingAction | undefined };

export interface PendingStore {
  create(action: NewPendingAction): Promise<PendingAction>;
  get(id: string): Promise<PendingAction | undefined>;
  /** Moves the action out of `pending` if nobody has and it has not expired; exactly one caller wins. */
  decide(id: string, to: Exclude<PendingStatus, 'pending'>, by: string): Promise<DecideResult>;
  /** Marks every pending action past its deadline (by the database's clock) as expired and returns them. */
  expireDue(): Promise<PendingAction[]>;
  /** Records where the question was posted. */
  setMessage(id: string, ref: { channel: string; ts: string }): Promise<void>;
  /** Records one approver's vote (once per person) and returns the number of approvals so far. */
  approve(id: string, approverEmail: string): Promise<{ count: number; alreadyVoted: boolean }>;
  /**
   * Approvals settled `approved` between `since` and `before` whose request has no outcome row
   * since: the process that was to run them stopped first.
   */
  approvedNotRun(since: Date, before: Date, limit: number): Promise<PendingAction[]>;
}

export class PgPendingStore implements PendingStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async create(action: NewPendingAction): Promise<PendingAction> {
    const [row] = await this.db.insert(pendingActions).values(action).returning();
    if (!row) throw new Error('the insert returned no row');
    return row;
  }

  async get(id: string): Promise<PendingAction | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.select().from(pendingActions).where(eq(pendingActions.id, id));
    return row;
  }

  async decide(id: string, to: Exclude<PendingStatus, 'pending'>, by: string): Promise<DecideResult> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return { won: false, action: undefined };
    const [row] = await this.db
      .update(pendingActions)
      .set({ status: to, decidedBy: by, decidedAt: sql`now()` })
      .where(
        and(
          eq(pendingActions.id, id),
          eq(pendingActions.status, 'pending'),
          to === 'expired' ? sql`true` : sql`${pendingActions.expiresAt} > now()`,
        ),
      )
      .returning();
    if (row) return { won: true, action: row };
    return { won: false, action: await this.get(id) };
  }

  async setMessage(id: string, ref: { channel: string; ts: string }): Promise<void> {
    await this.db
      .update(pendingActions)
      .set({ messageChannel: ref.channel, messageTs: ref.ts })
      .where(eq(pendingActions.id, id));
  }

  async approve(id: string, approverEmail: string): Promise<{ count: number; alreadyVoted: boolean }> {
    const inserted = await this.db
      .insert(approvals)
      .values({ pendingId: id, approverEmail })
      .onConflictDoNothing()
      .returning({ id: approvals.pendingId });
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(approvals)
      .where(eq(approvals.pendingId, id));
    return { count: row?.n ?? 0, alreadyVoted: inserted.length === 0 };
  }

  async expireDue(): Promise<PendingAction[]> {
    return this.db
      .update(pendingActions)
      .set({ status: 'expired', decidedBy: 'dpbot', decidedAt: sql`now()` })
      .where(and(eq(pendingActions.status, 'pending'), lte(pendingActions.expiresAt, sql`now()`)))
      .returning();
  }

  approvedNotRun(since: Date, before: Date, limit: number): Promise<PendingAction[]> {
    return this.db
      .select()
      .from(pendingActions)
      .where(
        and(
          eq(pendingActions.status, 'approved'),
          gte(pendingActions.decidedAt, since),
          lte(pendingActions.decidedAt, before),
          sql`NOT EXISTS (SELECT 1 FROM ${auditLog} WHERE ${auditLog.requestId} = ${pendingActions.requestId} AND ${auditLog.kind} = 'outcome' AND ${auditLog.at} >= ${pendingActions.decidedAt})`,
        ),
      )
      .orderBy(pendingActions.decidedAt)
      .limit(limit);
  }
}
