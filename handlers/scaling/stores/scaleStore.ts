import { and, desc, eq, inArray, lte, type SQL, sql } from 'drizzle-orm';
import { formatDuration } from '../../../core/config/duration.ts';
import { ConflictError } from '../../../core/errors.ts';
import type { Db, Tx } from '../../../db/connect.ts';
import { auditLog, type ScaleRevertStatus, scaleReverts } from '../../../db/schema.ts';
import { LocalQueue, LocalSlots } from '../../../db/stores/localQueue.ts';

export type ScaleRevert = typeof scaleReverts.$inferSelect;
export type NewScaleRevert = Omit<
  typeof scaleReverts.$inferInsert,
  'id' | 'status' | 'settledAt' | 'settledBy' | 'note' | 'createdAt' | 'jobId'
>;

/** What dpbot records in the audit log's `detail` for every worker change it makes. */
export interface ScaleChangeDetail {
  team: string;
  target: string;
  mode: 'replicas' | 'hpaMinReplicas';
  from: number;
  to: number;
  reason: string | null;
  /** Set when the change is temporary. */
  revertAt?: string;
  revertId?: string;
  /** A revert (timed or early) of this earlier temporary change. */
  revertOf?: string;
  /** A revert whose change an earlier, interrupted attempt made: recorded, not made again. */
  recovered?: boolean;
  /** The pending revert this change superseded. */
  superseded?: string;
  conflicts?: number;
  /** The write got no answer in time; the count read back afterwards showed it had landed. */
  answeredLate?: boolean;
}

export interface ScaleChangeRecord {
  at: Date;
  email: string | null;
  /** Who made it in Slack, so messages can mention them. */
  slackUserId: string | null;
  entry: string;
  detail: ScaleChangeDetail;
}

/** The rows of one team, while its lock is held. */
export interface LockedTeam {
  /** The lock's transaction, for a job that must commit with these rows (Jobs.send's `tx`). */
  readonly tx: Tx;
  setRevertJob(id: string, jobId: string): Promise<void>;
  /** The pending revert of a target, locked until the team's lock is released. */
  pendingRevert(target: string): Promise<ScaleRevert | undefined>;
  pendingReverts(): Promise<ScaleRevert[]>;
  revert(id: string): Promise<ScaleRevert | undefined>;
  createRevert(revert: NewScaleRevert): Promise<ScaleRevert>;
  settleRevert(
    id: string,
    status: Exclude<ScaleRevertStatus, 'pending'>,
    by: string,
    note?: string,
  ): Promise<void>;
}

export interface ScaleStore {
  /**
   * Runs `work` in a transaction holding the team's advisory lock, so changes to one team happen
   * one after another, on every replica. Waits at most `timeoutMs` for the lock (ConflictError).
   */
  withTeamLock<T>(team: string, timeoutMs: number, work: (locked: LockedTeam) => Promise<T>): Promise<T>;
  pendingReverts(team?: string): Promise<ScaleRevert[]>;
  revert(id: string): Promise<ScaleRevert | undefined>;
  setRevertJob(id: string, jobId: string): Promise<void>;
  /**
   * Marks, committed on its own connection (outside any lock's transaction), that the revert is
   * about to change Kubernetes: it outlives a process killed before the change is recorded.
   */
  markRevertStarted(id: string): Promise<void>;
  setRevertThread(id: string, channel: string, threadTs: string): Promise<void>;
  /** Pending reverts due before `before`, oldest first (for the sweep that catches lost jobs). */
  overdueReverts(before: Date, limit: number): Promise<ScaleRevert[]>;
  /** The latest worker changes of a team, newest first, from the audit log. */
  lastChanges(team: string, limit: number): Promise<ScaleChangeRecord[]>;
}

function lockTimedOut(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (typeof current === 'object' && current !== null && (current as { code?: unknown }).code === '55P03')
      return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

export class PgScaleStore implements ScaleStore {
  private readonly db: Db;
  /**
   * Changes of one team in this process wait their turn here rather than each in a transaction
   * blocked on the advisory lock: those transactions would hold pooled connections the lock's
   * holder needs (its audit rows, the last changes), and twenty waiters on a pool of ten starve it.
   */
  readonly #queue = new LocalQueue();
  /**
   * Changes of different teams run side by side, but never so many that their transactions hold
   * every pooled connection while each needs one more for its audit row.
   */
  readonly #slots: LocalSlots;

  /** `transactions`: how many team changes may hold a transaction at once (keep it below the pool size). */
  constructor(db: Db, options: { transactions?: number } = {}) {
    this.db = db;
    this.#slots = new LocalSlots(options.transactions ?? 4);
  }

  async withTeamLock<T>(
    team: string,
    timeoutMs: number,
    work: (locked: LockedTeam) => Promise<T>,
  ): Promise<T> {
    const busy = () =>
      new ConflictError(
        `another change to ${team} is still in progress (waited ${formatDuration(timeoutMs)}); nothing was changed. Try again in a moment`,
      );
    const started = performance.now();
    const left = () => Math.max(1, Math.floor(timeoutMs - (performance.now() - started)));
    const leave = await this.#queue.enter(team, timeoutMs);
    if (!leave) throw busy();
    const slot = await this.#slots.take(left());
    if (!slot) {
      leave();
      throw new ConflictError(
        `dpbot is busy with changes to other teams (waited ${formatDuration(timeoutMs)}); nothing was changed. Try again in a moment`,
      );
    }
    // What is left of the wait goes to the lock other replicas may hold.
    const remaining = left();
    let locked = false;
    try {
      return await this.db.transaction(async (tx) => {
        // SET cannot take parameters; the value is an integer we computed.
        await tx.execute(sql.raw(`SET LOCAL lock_timeout = ${remaining}`));
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`dpbot.workers:${team}`}, 0))`);
        locked = true;
        await tx.execute(sql`SET LOCAL lock_timeout = 0`);
        const forTeam = (extra: SQL) =>
          tx
            .select()
            .from(scaleReverts)
            .where(and(eq(scaleReverts.team, team), extra))
            .for('update');
        return work({
          tx,
          setRevertJob: async (id, jobId) => {
            await tx.update(scaleReverts).set({ jobId }).where(eq(scaleReverts.id, id));
          },
          pendingRevert: async (target) =>
            (
              await forTeam(and(eq(scaleReverts.target, target), eq(scaleReverts.status, 'pending')) as SQL)
            )[0],
          pendingReverts: () => forTeam(eq(scaleReverts.status, 'pending')),
          revert: async (id) => (await forTeam(eq(scaleReverts.id, id)))[0],
          createRevert: async (revert) => {
            const [row] = await tx.insert(scaleReverts).values(revert).returning();
            if (!row) throw new Error('the insert returned no row');
            return row;
          },
          settleRevert: async (id, status, by, note) => {
            await tx
              .update(scaleReverts)
              .set({ status, settledBy: by, settledAt: sql`now()`, note: note ?? null })
              .where(and(eq(scaleReverts.id, id), eq(scaleReverts.status, 'pending')));
          },
        });
      });
    } catch (error) {
      if (!locked && lockTimedOut(error)) throw busy();
      throw error;
    } finally {
      slot();
      leave();
    }
  }

  pendingReverts(team?: string): Promise<ScaleRevert[]> {
    return this.db
      .select()
      .from(scaleReverts)
      .where(and(eq(scaleReverts.status, 'pending'), team ? eq(scaleReverts.team, team) : undefined))
      .orderBy(scaleReverts.dueAt);
  }

  async revert(id: string): Promise<ScaleRevert | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.select().from(scaleReverts).where(eq(scaleReverts.id, id));
    return row;
  }

  async setRevertJob(id: string, jobId: string): Promise<void> {
    await this.db.update(scaleReverts).set({ jobId }).where(eq(scaleReverts.id, id));
  }

  async markRevertStarted(id: string): Promise<void> {
    await this.db.update(scaleReverts).set({ revertStartedAt: sql`now()` }).where(eq(scaleReverts.id, id));
  }

  async setRevertThread(id: string, channel: string, threadTs: string): Promise<void> {
    await this.db.update(scaleReverts).set({ channel, threadTs }).where(eq(scaleReverts.id, id));
  }

  overdueReverts(before: Date, limit: number): Promise<ScaleRevert[]> {
    return this.db
      .select()
      .from(scaleReverts)
      .where(and(eq(scaleReverts.status, 'pending'), lte(scaleReverts.dueAt, before)))
      .orderBy(scaleReverts.dueAt)
      .limit(limit);
  }

  async lastChanges(team: string, limit: number): Promise<ScaleChangeRecord[]> {
    const rows = await this.db
      .select({
        at: auditLog.at,
        email: auditLog.email,
        slackUserId: auditLog.slackUserId,
        entry: auditLog.entry,
        detail: auditLog.detail,
      })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.action, 'workers.scale'),
          eq(auditLog.resource, `team:${team}`),
          inArray(auditLog.outcome, ['scaled', 'reverted']),
        ),
      )
      .orderBy(desc(auditLog.id))
      .limit(limit);
    return rows.map((r) => ({ ...r, detail: r.detail as ScaleChangeDetail }));
  }
}
