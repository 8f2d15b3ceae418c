import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../db/connect.ts';
import { noticePreferences, releaseNotices, releaseSubscriptions } from '../../../db/schema.ts';

export type ReleaseNotice = typeof releaseNotices.$inferSelect;
export type NoticeKind = ReleaseNotice['kind'];
export type ReleaseSubscription = typeof releaseSubscriptions.$inferSelect;

/** The notices of one service's change in one release: what one notice job works. */
export interface NoticeBatch {
  releaseId: number;
  service: string;
  kind: NoticeKind;
}

/** Notices, subscriptions and who turned their direct messages off. */
export interface NoticeStore {
  /** The same store writing in `tx` (the transaction that records the service's new state). */
  within(tx: Tx): NoticeStore;
  /** Writes the batch's targets that are not written yet; returns how many were new. */
  add(batch: NoticeBatch, targets: readonly string[]): Promise<number>;
  /** Every notice of the batch, oldest first. */
  list(batch: NoticeBatch): Promise<ReleaseNotice[]>;
  /**
   * Takes a notice as it was read (queued, or `sending` left by a worker that died) to send it;
   * undefined when it changed since (another worker took it, or it is settled).
   */
  claim(seen: ReleaseNotice): Promise<ReleaseNotice | undefined>;
  /** Settles a notice (sent, skipped, failed), or puts it back (queued) for the next try. */
  settle(id: number, state: ReleaseNotice['state'], detail: string | null, sentAt?: Date): Promise<void>;
  /** Batches with a notice still queued since before `before` (their job's retries spent, or lost). */
  stalled(before: Date): Promise<NoticeBatch[]>;
  subscribe(email: string, service: string, slackUserId: string | null): Promise<boolean>;
  unsubscribe(email: string, service: string): Promise<boolean>;
  subscribers(service: string): Promise<ReleaseSubscription[]>;
  subscriptionsOf(email: string): Promise<string[]>;
  /** False when the person turned the direct messages about their pull requests off. */
  directMessagesOn(email: string): Promise<boolean>;
  setDirectMessages(email: string, on: boolean): Promise<void>;
  /**
   * The directory user a GitHub login is: the user a source lists under that login (a `github`
   * source keeps the member's login as its external id).
   */
  userByLogin(login: string): Promise<{ email: string; slackUserId: string | null } | undefined>;
}

const inBatch = (batch: NoticeBatch) =>
  and(
    eq(releaseNotices.releaseId, batch.releaseId),
    eq(releaseNotices.service, batch.service),
    eq(releaseNotices.kind, batch.kind),
  );

export class PgNoticeStore implements NoticeStore {
  private readonly db: Db | Tx;

  constructor(db: Db | Tx) {
    this.db = db;
  }

  within(tx: Tx): NoticeStore {
    return new PgNoticeStore(tx);
  }

  async add(batch: NoticeBatch, targets: readonly string[]): Promise<number> {
    if (!targets.length) return 0;
    const rows = await this.db
      .insert(releaseNotices)
      .values([...new Set(targets)].map((target) => ({ ...batch, target })))
      .onConflictDoNothing()
      .returning({ id: releaseNotices.id });
    return rows.length;
  }

  list(batch: NoticeBatch): Promise<ReleaseNotice[]> {
    return this.db.select().from(releaseNotices).where(inBatch(batch)).orderBy(releaseNotices.id);
  }

  async claim(seen: ReleaseNotice): Promise<ReleaseNotice | undefined> {
    if (seen.state !== 'queued' && seen.state !== 'sending') return undefined;
    const [row] = await this.db
      .update(releaseNotices)
      .set({ state: 'sending', attempts: sql`${releaseNotices.attempts} + 1`, claimedAt: sql`now()` })
      .where(
        and(
          eq(releaseNotices.id, seen.id),
          eq(releaseNotices.state, seen.state),
          eq(releaseNotices.attempts, seen.attempts),
        ),
      )
      .returning();
    return row;
  }

  async settle(
    id: number,
    state: ReleaseNotice['state'],
    detail: string | null,
    sentAt?: Date,
  ): Promise<void> {
    await this.db
      .update(releaseNotices)
      .set({ state, detail, ...(sentAt ? { sentAt } : {}) })
      .where(and(eq(releaseNotices.id, id), inArray(releaseNotices.state, ['queued', 'sending'])));
  }

  async stalled(before: Date): Promise<NoticeBatch[]> {
    return this.db
      .selectDistinct({
        releaseId: releaseNotices.releaseId,
        service: releaseNotices.service,
        kind: releaseNotices.kind,
      })
      .from(releaseNotices)
      .where(and(eq(releaseNotices.state, 'queued'), lt(releaseNotices.createdAt, before)))
      .orderBy(releaseNotices.releaseId, releaseNotices.service, releaseNotices.kind)
      .limit(100);
  }

  async subscribe(email: string, service: string, slackUserId: string | null): Promise<boolean> {
    const rows = await this.db
      .insert(releaseSubscriptions)
      .values({ email: email.toLowerCase(), service, slackUserId })
      .onConflictDoNothing()
      .returning({ email: releaseSubscriptions.email });
    return rows.length > 0;
  }

  async unsubscribe(email: string, service: string): Promise<boolean> {
    const rows = await this.db
      .delete(releaseSubscriptions)
      .where(
        and(eq(releaseSubscriptions.email, email.toLowerCase()), eq(releaseSubscriptions.service, service)),
      )
      .returning({ email: releaseSubscriptions.email });
    return rows.length > 0;
  }

  subscribers(service: string): Promise<ReleaseSubscription[]> {
    return this.db
      .select()
      .from(releaseSubscriptions)
      .where(eq(releaseSubscriptions.service, service))
      .orderBy(releaseSubscriptions.email);
  }

  async subscriptionsOf(email: string): Promise<string[]> {
    const rows = await this.db
      .select({ service: releaseSubscriptions.service })
      .from(releaseSubscriptions)
      .where(eq(releaseSubscriptions.email, email.toLowerCase()))
      .orderBy(releaseSubscriptions.service);
    return rows.map((r) => r.service);
  }

  async directMessagesOn(email: string): Promise<boolean> {
    const [row] = await this.db
      .select({ on: noticePreferences.directMessages })
      .from(noticePreferences)
      .where(eq(noticePreferences.email, email.toLowerCase()));
    return row?.on ?? true;
  }

  async setDirectMessages(email: string, on: boolean): Promise<void> {
    await this.db
      .insert(noticePreferences)
      .values({ email: email.toLowerCase(), directMessages: on })
      .onConflictDoUpdate({
        target: noticePreferences.email,
        set: { directMessages: on, updatedAt: sql`now()` },
      });
  }

  async userByLogin(login: string): Promise<{ email: string; slackUserId: string | null } | undefined> {
    const result = await this.db.execute<{ email: string; slack_user_id: string | null }>(sql`
      SELECT u.email, u.slack_user_id FROM users u
      JOIN user_sources s ON s.user_id = u.id
      WHERE lower(s.external_id) = ${login.toLowerCase()} AND s.active
      ORDER BY u.id LIMIT 1`);
    const row = result.rows[0];
    return row ? { email: row.email, slackUserId: row.slack_user_id } : undefined;
  }
}
