import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { serverDeps } from '../../app/wiring/surfaces.ts';
import { startHttpServer } from '../../bot/server.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database, {
    log: pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
  });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

it('runs its own signed requests through the request path before it is ready, and they do nothing', async () => {
  // Each went the whole way in: headers, body, signature, a delivery recorded, Bolt's acknowledgement.
  const deliveries = await database.query('SELECT signature FROM slack_requests');
  expect(deliveries.rowCount).toBe(10);
  expect(lines.some((l) => l.msg === 'warmed the request path')).toBe(true);
  expect(lines.filter((l) => Number(l.level) >= 40).map((l) => l.msg)).toEqual([]);
  // No one's command: nothing audited, nothing said in Slack.
  // (The start itself writes what it did, such as the policies it applied: none of it from Slack.)
  const before = await database.query<{ entry: string }>('SELECT entry FROM audit_log');
  expect(before.rows.filter((r) => r.entry === 'slack')).toEqual([]);
  expect(sim.messages).toEqual([]);
  expect(sim.ephemerals).toEqual([]);
  expect(sim.responses).toEqual([]);

  // The first person's command is answered as any other.
  const slack = new FakeSlack(bot.server.url, sim);
  const answer = await slack.slash('whoami', 'U0ADA00001');
  expect(answer.status).toBe(200);
  const after = await database.query<{ entry: string }>('SELECT entry FROM audit_log');
  expect(after.rows.filter((r) => r.entry === 'slack').length).toBeGreaterThan(0);
});

it('is not ready while it warms up', async () => {
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    deps: serverDeps(bot.app.services),
    log: pino({ level: 'silent' }),
    warmingUp: () => true,
  });
  try {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'not ready', reason: 'warming up' });
  } finally {
    await server.close();
  }
});
