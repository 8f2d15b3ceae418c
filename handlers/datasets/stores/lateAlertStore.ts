import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../../db/connect.ts';
import { datasetLateAlerts } from '../../../db/schema.ts';

export type LateAlert = typeof datasetLateAlerts.$inferSelect;

/** A lateness to alert about: the dataset and the last-updated time that went stale. */
export interface Lateness {
  dataset: string;
  lateSince: Date;
  dueAt: Date | null;
  team: string | null;
}

/** Where the alert was posted (the channel's ID as Slack answered, and the message's ts). */
export interface PostedAlert {
  channel: string;
  ts: string;
}

/** The late-dataset alerts: one row per lateness, claimed before its message is posted. */
export interface LateAlertStore {
  /**
   * Claims the lateness and runs `post` while the claim is held, keeping where it posted. Resolves
   * to null without calling `post` when this lateness was claimed already (by an earlier sweep,
   * another replica, or one still posting: the unique key makes the second insert wait for the
   * first to commit). When `post` throws, the claim is rolled back and the next sweep tries again.
   */
  claim(lateness: Lateness, post: () => Promise<PostedAlert>): Promise<LateAlert | null>;
  /** Alerts whose lateness has not ended, oldest first. */
  open(): Promise<LateAlert[]>;
  /**
   * Ends an open alert once: runs `settle` (the message's update) with the row locked, then marks
   * it resolved. Resolves to false without calling `settle` when it was resolved already.
   */
  resolve(id: number, freshAt: Date | null, settle: (alert: LateAlert) => Promise<void>): Promise<boolean>;
}

export class PgLateAlertStore implements LateAlertStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  claim(lateness: Lateness, post: () => Promise<PostedAlert>): Promise<LateAlert | null> {
    return this.#db.transaction(async (tx) => {
      const [claimed] = await tx
        .insert(datasetLateAlerts)
        .values(lateness)
        .onConflictDoNothing({ target: [datasetLateAlerts.dataset, datasetLateAlerts.lateSince] })
        .returning();
      if (!claimed) return null;
      const posted = await post();
      const [row] = await tx
        .update(datasetLateAlerts)
        .set({ channel: posted.channel, messageTs: posted.ts })
        .where(eq(datasetLateAlerts.id, claimed.id))
        .returning();
      return row ?? null;
    });
  }

  open(): Promise<LateAlert[]> {
    return this.#db
      .select()
      .from(datasetLateAlerts)
      .where(isNull(datasetLateAlerts.resolvedAt))
      .orderBy(asc(datasetLateAlerts.id));
  }

  resolve(id: number, freshAt: Date | null, settle: (alert: LateAlert) => Promise<void>): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const [alert] = await tx
        .select()
        .from(datasetLateAlerts)
        .where(and(eq(datasetLateAlerts.id, id), isNull(datasetLateAlerts.resolvedAt)))
        // Waits for a sweep settling it elsewhere, then finds it resolved: the caller returns once
        // the message says so, whoever edited it.
        .for('update');
      if (!alert) return false;
      await settle(alert);
      await tx
        .update(datasetLateAlerts)
        .set({ freshAt, resolvedAt: sql`now()` })
        .where(eq(datasetLateAlerts.id, id));
      return true;
    });
  }
}
