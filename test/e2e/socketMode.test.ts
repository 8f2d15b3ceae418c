import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { type RunningBot, serveSlack } from '../../app/serve.ts';
import {
  SANDBOX_APP_TOKEN,
  SANDBOX_BOT_TOKEN,
  type SlackSimulator,
} from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { slackWithPeople } from '../support/slack.ts';
import { SocketModeSimulator } from '../support/socketMode.ts';

let sim: SlackSimulator;
let socket: SocketModeSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  socket = new SocketModeSimulator(sim);
  await socket.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  bot = await serveSlack({
    loaded: loadConfig({ path: fixture.configPath, env: {} }),
    env: { DATABASE_URL: database.url },
    log: pino({ level: 'silent' }),
    settings: { botToken: SANDBOX_BOT_TOKEN, signingSecret: undefined, appToken: SANDBOX_APP_TOKEN },
    port: 0,
    host: '127.0.0.1',
  });
});

afterAll(async () => {
  await bot.stop();
  await socket.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  it('connects out to Slack, takes slash commands over the socket, acknowledges and replies', async () => {
    await eventually(() => expect(socket.sockets.length).toBe(1));
    const ack = await socket.deliver('slash_commands', {
      token: 'deprecated',
      team_id: 'T0SANDBOX',
      channel_id: 'C0OPS00001',
      user_id: 'U0ADA00001',
      command: '/dp',
      text: 'whoami',
      api_app_id: 'A0DPBOT',
      response_url: sim.responseUrl('socket-1'),
      trigger_id: '1.2.3',
    });
    expect(ack ?? {}).toEqual({});
    await eventually(() => expect(sim.responses.filter((r) => r.id === 'socket-1')).toHaveLength(1));
    expect(sim.responses.find((r) => r.id === 'socket-1')?.body.text).toContain('You are Ada Lovelace');
    const rows = await database.query(
      "SELECT kind, entry, email FROM audit_log WHERE command = 'whoami' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { kind: 'attempt', entry: 'slack', email: 'ada@example.com' },
      { kind: 'outcome', entry: 'slack', email: 'ada@example.com' },
    ]);
  });

  it('answers validation errors in the acknowledgement itself', async () => {
    const ack = (await socket.deliver('slash_commands', {
      team_id: 'T0SANDBOX',
      channel_id: 'C0OPS00001',
      user_id: 'U0ADA00001',
      command: '/dp',
      text: 'whoamii',
      response_url: sim.responseUrl('socket-2'),
      trigger_id: '1.2.4',
    })) as { text?: string };
    expect(ack.text).toContain('unknown command "whoamii"; did you mean "whoami"?');
  });

  it('still serves health on the HTTP port, and has no /slack/events endpoint', async () => {
    expect((await fetch(`${bot.server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${bot.server.url}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
