import { createHmac, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { WARM_UP_HEADER } from '../../core/tracing.ts';
import { KEPT_CONNECTIONS } from '../../db/connect.ts';
import { warmConnection } from '../../db/warmConnection.ts';
import type { CallerIdentity } from '../../pipeline/identity.ts';
import { REHEARSED_COMMAND } from '../../pipeline/rehearsal.ts';

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
}): Promise<{ recentCaller: string | undefined }> {
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
    const resolved = await Promise.allSettled(
      rows.map((r) => input.identity.resolve({ slackUserId: r.slack_user_id })),
    );
    return rows.find((_, i) => resolved[i]?.status === 'fulfilled')?.slack_user_id;
  };
  const results = await Promise.allSettled([connections(), input.slack?.warm(), recentCallers()]);
  for (const result of results) {
    if (result.status === 'rejected')
      input.log.warn({ err: result.reason }, 'warm-up step failed; the first request will retry it');
  }
  input.log.debug({ ms: Math.round(performance.now() - started) }, 'warmed up');
  const callers = results[2];
  return { recentCaller: callers.status === 'fulfilled' ? callers.value : undefined };
}

/** A failed warm-up's connection is dropped, not handed to a request. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Enough passes for the request path's functions to be compiled and their call sites to settle. */
const WARM_REQUESTS = 10;

/**
 * Sends signed slash commands of `command` (one only this process answers) to the server at
 * `url`, one after the other: each takes the path of a person's request (the headers checked, the
 * body read and its signature verified, its delivery recorded, Bolt's parsing, middleware and
 * acknowledgement, the answer written), so that the first person after a start does not pay for
 * compiling it. Sent as `as` (someone who used dpbot in the last day, whose identity the warm-up
 * has just read), the command is a rehearsal of their `whoami` through the pipeline (identify,
 * authorize, audit, run, reply: pipeline/rehearsal.ts), which leaves no trace; sent as no one, it
 * is acknowledged with nothing. The deliveries recorded are forgotten with the others once the
 * signing window has passed. A failure is only logged: the first request pays, as before.
 */
export async function warmRequests(
  url: string,
  signingSecret: string,
  command: string,
  log: Logger,
  as?: string,
): Promise<void> {
  const started = performance.now();
  try {
    for (let n = 0; n < WARM_REQUESTS; n++) {
      const body = new URLSearchParams({
        command,
        text: REHEARSED_COMMAND,
        team_id: 'T0DPBOT',
        channel_id: 'C0DPBOT',
        user_id: as ?? 'U0DPBOT',
        trigger_id: randomUUID(),
        response_url: `${url}/warm-up`,
      }).toString();
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      const response = await fetch(`${url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': signature,
          [WARM_UP_HEADER]: '1',
        },
        body,
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`the warm-up request was answered ${response.status}`);
    }
    log.debug({ ms: Math.round(performance.now() - started) }, 'warmed the request path');
  } catch (error) {
    log.warn({ err: error }, 'warming the request path failed; the first request will pay for it');
  }
}
