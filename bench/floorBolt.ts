import { App, HTTPReceiver } from '@slack/bolt';
import pg from 'pg';

/**
 * The honest floor for an audited acknowledgement: a Bolt app over HTTP that verifies the
 * signature, commits one INSERT of the request into PostgreSQL, and only then acknowledges `/dp`.
 * Any ack that records the attempt before answering does at least this much. Run as its own
 * process, like dpbot, with the same pool size (POOL_SIZE).
 */
const secret = process.env.SLACK_SIGNING_SECRET ?? '';
const port = Number(process.env.PORT ?? 0);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_SIZE ?? 20),
});
await pool.query(`CREATE TABLE IF NOT EXISTS bench_floor_requests (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  user_id text,
  channel_id text,
  command_text text
)`);
const receiver = new HTTPReceiver({ signingSecret: secret, endpoints: '/slack/events' });
// An authorize function instead of a token: Bolt would otherwise call auth.test on the first request.
const app = new App({
  receiver,
  authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B0BENCH', botUserId: 'U0BENCH' }),
});
app.command('/dp', async ({ command, ack }) => {
  // A single statement outside a transaction block commits on its own: one round trip.
  await pool.query(
    'INSERT INTO bench_floor_requests (user_id, channel_id, command_text) VALUES ($1, $2, $3)',
    [command.user_id, command.channel_id, command.text],
  );
  await ack();
});
await app.start(port);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void app
    .stop()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
