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

it("rehearses the whoami of the last day's most recent caller, and leaves no trace of it", async () => {
  // Ada used dpbot before the next start (a deploy), as on any working day.
  await new FakeSlack(bot.server.url, sim).slash('whoami', 'U0ADA00001');
  // Its outcome is audited after its acknowledgement.
  expect(await bot.app.pipeline.drain(10_000)).toBe(true);
  const slackRows = async () =>
    (await database.query("SELECT id FROM audit_log WHERE entry = 'slack'")).rowCount ?? 0;
  const rowsBefore = await slackRows();
  expect(rowsBefore).toBeGreaterThan(0);
  const said = () => [sim.messages.length, sim.ephemerals.length, sim.responses.length];
  const saidBefore = said();
  const nextLines: Record<string, unknown>[] = [];
  const next = await startSlackBot(fixture, database, {
    log: pino({ level: 'debug' }, { write: (line: string) => nextLines.push(JSON.parse(line)) }),
  });
  try {
    // Each of the ten went through the pipeline as Ada's whoami, to its reply…
    expect(nextLines.find((l) => l.msg === 'rehearsed whoami on the request path')).toMatchObject({
      rehearsed: 10,
    });
    expect(nextLines.filter((l) => Number(l.level) >= 40).map((l) => l.msg)).toEqual([]);
    // …and none of it was audited, said in Slack, counted or logged as a command.
    expect(await slackRows()).toBe(rowsBefore);
    expect(said()).toEqual(saidBefore);
    const whoamiCounted = async () =>
      /dpbot_commands_total\{[^}]*command="whoami"/.test(
        await (await fetch(`${next.server.url}/metrics`)).text(),
      );
    expect(await whoamiCounted()).toBe(false);
    expect(nextLines.filter((l) => l.command === 'whoami')).toEqual([]);

    // Ada's own command after the start is audited and counted as any other.
    const answer = await new FakeSlack(next.server.url, sim).slash('whoami', 'U0ADA00001');
    expect(answer.status).toBe(200);
    expect(await next.app.pipeline.drain(10_000)).toBe(true);
    expect(await slackRows()).toBeGreaterThan(rowsBefore);
    expect(await whoamiCounted()).toBe(true);
  } finally {
    await next.stop();
  }
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
