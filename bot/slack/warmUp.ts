import type pg from 'pg';
import type { Logger } from 'pino';
import { KEPT_CONNECTIONS } from '../../db/connect.ts';
import { warmConnection } from '../../db/warmConnection.ts';
import type { CallerIdentity } from '../../pipeline/identity.ts';

/** The people of the last day whose Slack profile and access are read before the first request. */
const RECENT_CALLERS = 20;

/**
 * What the first request after a start would otherwise pay for on Slack's 3-second clock: the
 * bot's identity from Slack (auth.test), the first database connections and each one's first
 * delivery record and audit row (rolled back: `db/warmConnection.ts`), and who the people who
 * used dpbot in the last day are (their Slack profile and their groups and grants, which are kept
 * once read). A start is most often a deploy, and the next command most often comes from someone
 * who was just using it. Failures are only logged: each is asked again by the first request that
 * needs it.
 */
export async function warmUp(input: {
  pool: pg.Pool;
  identity: CallerIdentity;
  slack: { warm(): Promise<void> } | undefined;
  log: Logger;
}): Promise<void> {
  const started = performance.now();
  const connections = async () => {
    const clients = await Promise.all(
      Array.from({ length: Math.min(KEPT_CONNECTIONS, input.pool.options.max ?? KEPT_CONNECTIONS) }, () =>
        input.pool.connect(),
      ),
    );
    // Every connection, since the pool hands the first request whichever is idle.
    const warmed = await Promise.allSettled(clients.map((client) => warmConnection(client)));
    clients.forEach((client, i) => {
      const result = warmed[i];
      client.release(result?.status === 'rejected' ? asError(result.reason) : undefined);
    });
    const failed = warmed.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const recentCallers = async () => {
    const { rows } = await input.pool.query<{ slack_user_id: string }>(
      `SELECT slack_user_id FROM audit_log
        WHERE at > now() - interval '1 day' AND slack_user_id IS NOT NULL
        GROUP BY slack_user_id ORDER BY max(at) DESC LIMIT $1`,
      [RECENT_CALLERS],
    );
    // Someone who left the directory since is simply not kept.
    await Promise.allSettled(rows.map((r) => input.identity.resolve({ slackUserId: r.slack_user_id })));
  };
  const results = await Promise.allSettled([connections(), input.slack?.warm(), recentCallers()]);
  for (const result of results) {
    if (result.status === 'rejected')
      input.log.warn({ err: result.reason }, 'warm-up step failed; the first request will retry it');
  }
  input.log.debug({ ms: Math.round(performance.now() - started) }, 'warmed up');
}

/** A failed warm-up's connection is dropped, not handed to a request. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
