import { App, HTTPReceiver } from '@slack/bolt';

/**
 * The baseline for acknowledgement latency: a Bolt app over HTTP that verifies the signature and
 * acknowledges `/dp`, and does nothing else. Run as its own process, like dpbot.
 */
const secret = process.env.SLACK_SIGNING_SECRET ?? '';
const port = Number(process.env.PORT ?? 0);
const receiver = new HTTPReceiver({ signingSecret: secret, endpoints: '/slack/events' });
// An authorize function instead of a token: Bolt would otherwise call auth.test, on Slack, on the
// first request; the baseline must make no network call at all.
const app = new App({
  receiver,
  authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B0BENCH', botUserId: 'U0BENCH' }),
});
app.command('/dp', async ({ ack }) => {
  await ack();
});
await app.start(port);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
