import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, servingSlack, startDpbotProcess } from '../support/dpbotProcess.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { slackWithPeople } from '../support/slack.ts';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: DpbotProcess | undefined;

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  if (bot && bot.child.exitCode === null) bot.child.kill('SIGKILL');
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('memory compaction after the start', () => {
  it('with --expose-gc, as npm start and the image run it: one full collection before ready, logged and counted', async () => {
    bot = startDpbotProcess({
      configPath: fixture.configPath,
      databaseUrl: database.url,
      nodeFlags: ['--expose-gc', '--no-flush-bytecode'],
    });
    const running = bot;
    const port = await servingSlack(running);
    const compacted = running.lines.findIndex((l) => l.msg === 'memory compacted after the start');
    const serving = running.lines.findIndex((l) => l.msg === 'serving Slack at POST /slack/events');
    expect(compacted).toBeGreaterThanOrEqual(0);
    // Before the process says it serves (and before /readyz says ready): nobody's request waits on it.
    expect(compacted).toBeLessThan(serving);
    const line = running.lines[compacted] as { reason: string; rssBeforeMiB: number; rssAfterMiB: number };
    expect(line.reason).toBe('start');
    expect(line.rssAfterMiB).toBeLessThanOrEqual(line.rssBeforeMiB);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^dpbot_memory_compaction_seconds_count\{reason="start"\} 1$/m);
    expect(metrics).not.toMatch(/reason="quiet"/);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  }, 120_000);
});
