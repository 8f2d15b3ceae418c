import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../connect.ts';
import { actionKeys, slackRequests } from '../schema.ts';

export type Claim = { won: true } | { won: false; by: string; at: Date; requestId: string };

/** Keys of actions that must happen once, and Slack signatures already seen. */
export interface OnceStore {
  /** The first caller for a key wins; everyone after learns who did it and when. */
  claim(key: string, requestId: string, actorEmail: string): Promise<Claim>;
  /** Who holds a key, if anyone does. */
  holder(key: string): Promise<{ by: string; at: Date; requestId: string } | undefined>;
  /** Frees a key whose action failed, so it can be tried again. */
  release(key: string): Promise<void>;
  /** Records a Slack request signature; false when it was seen before (a replay). */
  firstDelivery(signature: string): Promise<boolean>;
  /** Forgets signatures older than the signing window. */
  pruneDeliveries(olderThan: Date): Promise<number>;
}

export class PgOnceStore implements OnceStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async claim(key: string, requestId: string, actorEmail: string): Promise<Claim> {
    const inserted = await this.#db
      .insert(actionKeys)
      .values({ key, requestId, actorEmail })
      .onConflictDoNothing()
      .returning({ key: actionKeys.key });
    if (inserted.length > 0) return { won: true };
    const existing = await this.holder(key);
    if (!existing) return this.claim(key, requestId, actorEmail);
    return { won: false, ...existing };
  }

  async holder(key: string): Promise<{ by: string; at: Date; requestId: string } | undefined> {
    const [row] = await this.#db.select().from(actionKeys).where(eq(actionKeys.key, key));
    return row ? { by: row.actorEmail, at: row.createdAt, requestId: row.requestId } : undefined;
  }

  async release(key: string): Promise<void> {
    await this.#db.delete(actionKeys).where(eq(actionKeys.key, key));
  }

  async firstDelivery(signature: string): Promise<boolean> {
    const inserted = await this.#db
      .insert(slackRequests)
      .values({ signature })
      .onConflictDoNothing()
      .returning({ signature: slackRequests.signature });
    return inserted.length > 0;
  }

  async pruneDeliveries(olderThan: Date): Promise<number> {
    const deleted = await this.#db
      .delete(slackRequests)
      .where(lt(slackRequests.receivedAt, olderThan))
      .returning({ one: sql`1` });
    return deleted.length;
  }
}
