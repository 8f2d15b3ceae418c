import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { MessageRef } from '../../pipeline/notifier.ts';

/**
 * What the messages dpbot keeps up to date show, as every replica's last update left them
 * (`slack_messages_shown`). Each replica also remembers what it sent itself (MessageUpdater), but
 * not what another replica sent since: without this, the replicas of a release day sent the same
 * content again and again, each from its own memory (issue 29, item 7).
 */
export interface SharedShown {
  /** Whether the message is known to show the content hashed `hash`; false when unsure. */
  shows(ref: MessageRef, hash: string): Promise<boolean>;
  /**
   * Runs `send` (a chat.update of content hashed `hash`) unless the message shows that already,
   * one replica at a time per message, and records what the message shows once Slack took it.
   */
  update(ref: MessageRef, hash: string, send: () => Promise<void>): Promise<'sent' | 'shown'>;
}

/** The hash kept of a message's content (what chat.update sends: text and blocks). */
export function contentHash(content: { text: string; blocks: unknown[] }): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
}

/** Any constant shared by every dpbot process; with a message's hash it names that message's lock. */
const LOCK_NAMESPACE = 0x6470_736d; // "dpsm"

const GET = 'SELECT content_hash FROM slack_messages_shown WHERE channel = $1 AND ts = $2';
const SET = `INSERT INTO slack_messages_shown (channel, ts, content_hash, updated_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (channel, ts) DO UPDATE SET content_hash = EXCLUDED.content_hash, updated_at = now()`;

/**
 * The record in PostgreSQL. An update holds a session advisory lock on its message from the check
 * to the record, so two replicas updating one message at once take turns and the record always
 * names what Slack shows: the second one either finds its content shown or sends it after the
 * first. The record is cleared before the call and written after Slack answered, so a call that
 * failed (or a replica that died meanwhile) leaves no record to skip on — only "unknown", which
 * sends. While the database does not answer, updates go out unshared, as before.
 */
export function postgresShown(pool: pg.Pool, log: Logger): SharedShown {
  const unshared = (error: unknown, ref: MessageRef) =>
    log.warn(
      { err: error, channel: ref.channel, ts: ref.ts },
      'could not share what a message shows; updating it anyway',
    );
  return {
    async shows(ref, hash) {
      try {
        const { rows } = await pool.query<{ content_hash: string | null }>({
          name: 'dpbot_shown_get',
          text: GET,
          values: [ref.channel, ref.ts],
        });
        return rows[0]?.content_hash === hash;
      } catch (error) {
        unshared(error, ref);
        return false;
      }
    },
    async update(ref, hash, send) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        unshared(error, ref);
        await send();
        return 'sent';
      }
      const lock = [LOCK_NAMESPACE, `${ref.channel}:${ref.ts}`];
      let locked = false;
      let broken: Error | undefined;
      try {
        let cleared = false;
        try {
          await client.query('SELECT pg_advisory_lock($1, hashtext($2))', lock);
          locked = true;
          const { rows } = await client.query<{ content_hash: string | null }>(GET, [ref.channel, ref.ts]);
          if (rows[0]?.content_hash === hash) return 'shown';
          await client.query(SET, [ref.channel, ref.ts, null]);
          cleared = true;
        } catch (error) {
          broken = error instanceof Error ? error : new Error(String(error));
          unshared(error, ref);
        }
        await send();
        if (cleared)
          await client.query(SET, [ref.channel, ref.ts, hash]).catch((error: unknown) => {
            broken = error instanceof Error ? error : new Error(String(error));
            unshared(error, ref);
          });
        return 'sent';
      } finally {
        if (locked && !broken)
          await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', lock).catch((error: unknown) => {
            broken = error instanceof Error ? error : new Error(String(error));
          });
        // A connection that failed, or may still hold the lock, is closed rather than reused:
        // closing it ends its session, and with it the lock.
        client.release(broken);
      }
    },
  };
}
