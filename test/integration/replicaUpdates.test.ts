import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresShown } from '../../bot/slack/sharedShown.ts';
import { postgresBudget } from '../../bot/slack/slackBudget.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, slackPortOf, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { type ReleaseDayWorld, runReleaseDay, startReleaseDay } from '../support/releaseDay.ts';

// Issue 29, item 7: a release day on two replicas (this process, which types the commands, and a
// spawned `dpbot start`) on one database, both running the release workers. Counted at the Slack
// simulator, which keeps every version of every message: a chat.update whose content equals what
// the message already showed changed nothing and spent the shared Tier-3 budget for nothing.

let database: TestDatabase;
let world: ReleaseDayWorld;
let replica: DpbotProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await startReleaseDay({
    databaseUrl: database.url,
    latencyMs: 0,
    stageMs: 300,
    settleMs: 1,
    pollMs: 300,
    scale: { repositories: 2, prs: 30, jiraKeys: 5 },
    postIntervalMs: 200,
  });
  // As `dpbot start` shares them (app/serve.ts): Slack's budgets, and what messages show.
  world.notifier.shareBudget(
    postgresBudget(world.app.services.pool),
    postgresShown(world.app.services.pool, world.app.services.log),
  );
  replica = startDpbotProcess({
    configPath: world.fixture.configPath,
    databaseUrl: database.url,
    logLevel: 'info',
    env: {
      GITHUB_TOKEN: 'ghs-release-day',
      ARGOCD_TOKEN: 'argo-release-day',
      JIRA_API_TOKEN: 'jira-release-day',
    },
  });
  await eventually(() => expect(slackPortOf(replica)).toBeGreaterThan(0), 60_000);
  await runReleaseDay(world);
  await world.notifier.drained();
}, 180_000);
afterAll(async () => {
  if (replica && replica.child.exitCode === null) {
    replica.child.kill('SIGTERM');
    await replica.exited;
  }
  await world?.close();
  await database?.drop();
}, 60_000);

describe('a release on two replicas', () => {
  it('never updates a message to what it already shows', async () => {
    const repeats = () =>
      world.slack.messages.flatMap((m) =>
        m.history
          .map((v, i) => ({ v, before: m.history[i - 1] }))
          .filter(({ v, before }) => before !== undefined && JSON.stringify(v) === JSON.stringify(before))
          .map(({ v }) => v.text.slice(0, 60)),
      );
    const updates = world.slack.callsByMethod().get('chat.update') ?? 0;
    const versions = world.slack.messages.reduce((n, m) => n + m.history.length - 1, 0);
    // Every chat.update left a version behind.
    expect(versions).toBe(updates);
    expect(updates).toBeGreaterThan(0);
    if (process.env.REPLICA_UPDATES_REPORT) console.log({ updates, repeats: repeats().length });
    expect(repeats()).toEqual([]);
  });
});
