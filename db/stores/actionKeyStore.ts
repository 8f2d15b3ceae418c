import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../connect.ts';
import { actionKeys, slackRequests } from '../schema.ts';

export type Claim = { won: true } | { won: false; by: string; at: Date; requestId: string };

/** A Slack request's signature, recorded. */
export interface Delivery {
  /** False when the signature was seen before: a replay. */
  first: boolean;
  /**
   * The access version when the request arrived, read by the same statement so that the
   * identity's in-memory groups and grants are checked against it at no extra round trip.
   * Undefined if the database has none (then nothing is taken from memory).
   */
  accessVersion: number | undefined;
}

/** Keys of actions that must happen once, and Slack signatures already seen. */
export interface OnceStore {
  /** The first caller for a key wins; everyone after learns who did it and when. */
  claim(key: string, requestId: string, actorEmail: string): Promise<Claim>;
  /** Frees a key whose action failed, so it can be tried again. */
  release(key: string): Promise<void>;
  /** Records a Slack request signature; `first` is false when it was seen before (a replay). */
  firstDelivery(signature: string): Promise<Delivery>;
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
    const [existing] = await this.#db.select().from(actionKeys).where(eq(actionKeys.key, key));
    if (!existing) return this.claim(key, requestId, actorEmail);
    return { won: false, by: existing.actorEmail, at: existing.createdAt, requestId: existing.requestId };
  }

  async release(key: string): Promise<void> {
    await this.#db.delete(actionKeys).where(eq(actionKeys.key, key));
  }

  async firstDelivery(signature: string): Promise<Delivery> {
    // One statement, one snapshot: the version is the one the request's decision must reflect.
    // Prepared once per connection (named): it runs ahead of every acknowledgement.
    const result = await this.#db.$client.query<{ first: boolean; access_version: string | null }>({
      name: 'dpbot_first_delivery',
      text: `WITH recorded AS (
               INSERT INTO slack_requests (signature) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1
             )
             SELECT EXISTS (SELECT 1 FROM recorded) AS first,
                    (SELECT version FROM access_version) AS access_version`,
      values: [signature],
    });
    const row = result.rows[0];
    const version = row?.access_version;
    return { first: row?.first === true, accessVersion: version == null ? undefined : Number(version) };
  }

  async pruneDeliveries(olderThan: Date): Promise<number> {
    const deleted = await this.#db
      .delete(slackRequests)
      .where(lt(slackRequests.receivedAt, olderThan))
      .returning({ one: sql`1` });
    return deleted.length;
  }
}
