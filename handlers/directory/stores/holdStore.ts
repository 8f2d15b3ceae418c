import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../../db/connect.ts';
import { type AccessHoldStatus, accessHolds } from '../../../db/schema.ts';

export type AccessHold = typeof accessHolds.$inferSelect;

export interface NewHold {
  target: string;
  digest: string;
  requestedBy: string | null;
  trigger: string;
  summary: Record<string, unknown>;
}

export interface HoldResult {
  hold: AccessHold;
  /** False when this very change was already held (pending or denied): nobody is asked again. */
  created: boolean;
  /** The pending hold of the same target this one replaces (its question is out of date). */
  superseded: AccessHold | undefined;
}

export interface HoldStore {
  /** Holds a change, once per target and digest; a pending hold of another change is superseded. */
  hold(change: NewHold): Promise<HoldResult>;
  get(id: string): Promise<AccessHold | undefined>;
  /** Every change still waiting for an answer, oldest first. */
  pending(): Promise<AccessHold[]>;
  /** Moves a pending hold to `to`; undefined when it was no longer pending (someone else decided). */
  decide(id: string, to: Exclude<AccessHoldStatus, 'pending'>, by: string): Promise<AccessHold | undefined>;
  /**
   * After an approval: back to pending when the change could not be applied (the source failed),
   * or superseded when the source changed since it was shown.
   */
  settleApproved(id: string, to: 'pending' | 'superseded'): Promise<void>;
  setMessage(id: string, ref: { channel: string; ts: string }): Promise<void>;
  /** Ends the target's waiting requests once a change applied without them (forced, or the source mended). */
  supersedePending(target: string): Promise<AccessHold[]>;
}

const HOLD_LOCK_NAMESPACE = 0x6470_686c; // "dphl"

export class PgHoldStore implements HoldStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async hold(change: NewHold): Promise<HoldResult> {
    return this.db.transaction(async (tx) => {
      // Two replicas holding the same change at the same tick ask once.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${HOLD_LOCK_NAMESPACE}, hashtext(${change.target}))`);
      const [same] = await tx
        .select()
        .from(accessHolds)
        .where(
          and(
            eq(accessHolds.target, change.target),
            eq(accessHolds.digest, change.digest),
            sql`${accessHolds.status} IN ('pending', 'denied')`,
          ),
        )
        .orderBy(desc(accessHolds.createdAt))
        .limit(1);
      if (same) return { hold: same, created: false, superseded: undefined };
      const [superseded] = await tx
        .update(accessHolds)
        .set({ status: 'superseded', decidedBy: 'dpbot', decidedAt: sql`now()` })
        .where(and(eq(accessHolds.target, change.target), eq(accessHolds.status, 'pending')))
        .returning();
      const [hold] = await tx.insert(accessHolds).values(change).returning();
      if (!hold) throw new Error('the held change was not stored');
      return { hold, created: true, superseded };
    });
  }

  async get(id: string): Promise<AccessHold | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.select().from(accessHolds).where(eq(accessHolds.id, id));
    return row;
  }

  async pending(): Promise<AccessHold[]> {
    return this.db
      .select()
      .from(accessHolds)
      .where(eq(accessHolds.status, 'pending'))
      .orderBy(accessHolds.createdAt);
  }

  async decide(
    id: string,
    to: Exclude<AccessHoldStatus, 'pending'>,
    by: string,
  ): Promise<AccessHold | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db
      .update(accessHolds)
      .set({ status: to, decidedBy: by, decidedAt: sql`now()` })
      .where(and(eq(accessHolds.id, id), eq(accessHolds.status, 'pending')))
      .returning();
    return row;
  }

  async settleApproved(id: string, to: 'pending' | 'superseded'): Promise<void> {
    await this.db
      .update(accessHolds)
      .set(to === 'pending' ? { status: to, decidedBy: null, decidedAt: null } : { status: to })
      .where(and(eq(accessHolds.id, id), eq(accessHolds.status, 'approved')));
  }

  async setMessage(id: string, ref: { channel: string; ts: string }): Promise<void> {
    await this.db
      .update(accessHolds)
      .set({ messageChannel: ref.channel, messageTs: ref.ts })
      .where(eq(accessHolds.id, id));
  }

  async supersedePending(target: string): Promise<AccessHold[]> {
    return this.db
      .update(accessHolds)
      .set({ status: 'superseded', decidedBy: 'dpbot', decidedAt: sql`now()` })
      .where(and(eq(accessHolds.target, target), eq(accessHolds.status, 'pending')))
      .returning();
  }
}
