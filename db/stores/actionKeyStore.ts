import { eq, lt, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Db } from '../connect.ts';
import { actionKeys, slackMessagesShown, slackRequests } from '../schema.ts';

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
  /** Who holds a key, if anyone does. */
  holder(key: string): Promise<{ by: string; at: Date; requestId: string } | undefined>;
  /** Frees a key whose action failed, so it can be tried again. */
  release(key: string): Promise<void>;
  /** Records a Slack request signature; `first` is false when it was seen before (a replay). */
  firstDelivery(signature: string): Promise<Delivery>;
  /** Forgets signatures older than the signing window. */
  pruneDeliveries(olderThan: Date): Promise<number>;
  /**
   * Forgets what messages not updated since `olderThan` show (slack_messages_shown): their next
   * update, if any, simply goes out.
   */
  pruneShownMessages(olderThan: Date): Promise<number>;
}

/** Statements recording deliveries at once, and signatures per statement. */
const MAX_DELIVERY_WRITES = 4;
const MAX_DELIVERY_BATCH = 200;

interface PendingDelivery {
  signature: string;
  resolve(delivery: Delivery): void;
  reject(error: unknown): void;
}

export class PgOnceStore implements OnceStore {
  readonly #db: Db;
  readonly #deliveries: PendingDelivery[] = [];
  #writing = 0;

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

  firstDelivery(signature: string): Promise<Delivery> {
    return new Promise((resolve, reject) => {
      this.#deliveries.push({ signature, resolve, reject });
      if (this.#writing < MAX_DELIVERY_WRITES) void this.#recordDeliveries();
    });
  }

  /**
   * Deliveries that arrive while others are being recorded go out together: one statement and
   * one commit for many requests, instead of one each ahead of every acknowledgement.
   */
  async #recordDeliveries(): Promise<void> {
    this.#writing++;
    try {
      while (this.#deliveries.length > 0) {
        const batch = this.#deliveries.splice(0, MAX_DELIVERY_BATCH);
        try {
          // One statement, one snapshot: the version is the one the requests' decisions must
          // reflect. A signature twice in one batch is inserted once: the first of them is first.
          const result = await this.#db.$client.query<{ recorded: string[]; access_version: string | null }>(
            recordDeliveries(batch.map((d) => d.signature)),
          );
          const row = result.rows[0];
          const fresh = new Set(row?.recorded ?? []);
          const version = row?.access_version;
          const accessVersion = version == null ? undefined : Number(version);
          for (const d of batch) {
            d.resolve({ first: fresh.delete(d.signature), accessVersion });
          }
        } catch (error) {
          for (const d of batch) d.reject(error);
        }
      }
    } finally {
      this.#writing--;
    }
  }

  async pruneDeliveries(olderThan: Date): Promise<number> {
    const deleted = await this.#db
      .delete(slackRequests)
      .where(lt(slackRequests.receivedAt, olderThan))
      .returning({ one: sql`1` });
    return deleted.length;
  }

  async pruneShownMessages(olderThan: Date): Promise<number> {
    const deleted = await this.#db
      .delete(slackMessagesShown)
      .where(lt(slackMessagesShown.updatedAt, olderThan))
      .returning({ one: sql`1` });
    return deleted.length;
  }
}

function recordDeliveries(signatures: readonly string[]): pg.QueryConfig {
  return {
    name: 'dpbot_record_deliveries',
    text: `WITH recorded AS (
             INSERT INTO slack_requests (signature) SELECT unnest($1::text[])
             ON CONFLICT DO NOTHING RETURNING signature
           )
           SELECT ARRAY(SELECT signature FROM recorded) AS recorded,
                  (SELECT version FROM access_version) AS access_version`,
    values: [signatures],
  };
}

/**
 * A connection's first recorded delivery, paid at start: the statement prepared and the tables'
 * catalog entries loaded. Rolled back inside the caller's transaction, so nothing is recorded.
 */
export async function warmDeliveryRecord(client: pg.ClientBase): Promise<void> {
  await client.query(recordDeliveries(['dpbot warm-up']));
}
