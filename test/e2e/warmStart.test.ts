import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, servingSlack, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople } from '../support/slack.ts';

const ADA = 'U0ADA00001';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
const started: DpbotProcess[] = [];

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await sim.stop();
  await database.drop();
  fixture.remove();
});

async function start(): Promise<FakeSlack> {
  const bot = startDpbotProcess({ configPath: fixture.configPath, databaseUrl: database.url });
  started.push(bot);
  const port = await servingSlack(bot);
  return new FakeSlack(`http://127.0.0.1:${port}`, sim);
}

/** The Slack calls made since `from` (an index into the simulator's requests) that ask who someone is. */
const whoCalls = (from: number) =>
  sim.requests
    .slice(from)
    .filter((r) => r.path === '/api/auth.test' || r.path === '/api/users.info')
    .map((r) => r.path);

describe('the first command after a start', () => {
  it('waits for nothing a start could have asked already: the bot and the last day’s people are known when it is ready', async () => {
    const first = await start();
    const before = await first.slash('whoami', ADA);
    expect(before.status).toBe(200);
    await eventually(() => expect(first.responses(before.responseId)).toHaveLength(1));
    const running = started[0];
    running?.child.kill('SIGTERM');
    await running?.exited;

    // A deploy: the next process starts on the same database, and Ada is the next to type.
    const again = await start();
    const from = sim.requests.length;
    const reply = await again.slash('whoami', ADA);
    expect(reply.status).toBe(200);
    await eventually(() => expect(again.responses(reply.responseId)).toHaveLength(1));
    // Neither the bot's identity (auth.test) nor Ada's profile (users.info) was asked on her clock.
    expect(whoCalls(from)).toEqual([]);
  }, 120_000);
});
