import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../../../db/connect.ts';
import { freezes } from '../../../db/schema.ts';

export type FreezeRow = typeof freezes.$inferSelect;

/** Ad hoc freezes in PostgreSQL, so that every replica refuses the same ships. */
export interface FreezeStore {
  create(row: {
    services: readonly string[];
    reason: string;
    until: Date;
    createdBy: string;
    requestId: string;
  }): Promise<FreezeRow>;
  /** Freezes not lifted whose end is after `now`, soonest end first. */
  active(now: Date): Promise<FreezeRow[]>;
  /** Lifts the freeze (once: a freeze already lifted is left as it is); the row, or undefined. */
  lift(id: number, by: string, now: Date): Promise<FreezeRow | undefined>;
  /** Narrows a freeze to fewer services (an unfreeze of some of them). */
  narrow(id: number, services: readonly string[]): Promise<FreezeRow | undefined>;
}

export class PgFreezeStore implements FreezeStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async create(row: Parameters<FreezeStore['create']>[0]): Promise<FreezeRow> {
    const [created] = await this.#db
      .insert(freezes)
      .values({ ...row, services: [...row.services] })
      .returning();
    if (!created) throw new Error('the freeze was not stored');
    return created;
  }

  active(now: Date): Promise<FreezeRow[]> {
    return this.#db
      .select()
      .from(freezes)
      .where(and(isNull(freezes.liftedAt), gt(freezes.until, now)))
      .orderBy(asc(freezes.until), asc(freezes.id));
  }

  async lift(id: number, by: string, now: Date): Promise<FreezeRow | undefined> {
    const [row] = await this.#db
      .update(freezes)
      .set({ liftedBy: by, liftedAt: now })
      .where(and(eq(freezes.id, id), isNull(freezes.liftedAt)))
      .returning();
    return row;
  }

  async narrow(id: number, services: readonly string[]): Promise<FreezeRow | undefined> {
    const [row] = await this.#db
      .update(freezes)
      .set({ services: [...services] })
      .where(and(eq(freezes.id, id), isNull(freezes.liftedAt)))
      .returning();
    return row;
  }
}
