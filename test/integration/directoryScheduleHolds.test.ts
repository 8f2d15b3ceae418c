import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { QUEUES } from '../../handlers/directory/queues.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardDirectory } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';

// Issue 32 item 5: the scheduled sync job that hits the removal guard asks once, not every tick.

const notifier = recordingNotifier();
let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  database = await createTestDatabase();
  fixture = createFixture({
    config: {
      jobs: { pollInterval: '1s' },
      slack: { channels: { admin: '#dpbot-admin' } },
      directory: {
        sources: [
          { name: 'file', type: 'file', path: 'directory.yaml', schedule: 'off', removalAllowance: 0 },
        ],
      },
    },
  });
  app = await createApp({
    loaded: loadConfig({ path: fixture.configPath, env: {} }),
    env: { DATABASE_URL: database.url },
    log: pino({ level: 'silent' }),
    runWorkers: true,
    notifier,
  });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
});

describe('a scheduled sync over the removal guard', () => {
  it('is held and asked about once, however many ticks find the same change', async () => {
    fixture.write('directory.yaml', {
      ...standardDirectory,
      groups: standardDirectory.groups.map((g) => (g.id === 'engineering' ? { ...g, members: [] } : g)),
    });
    const refused = async () =>
      (await database.query("SELECT count(*)::int AS n FROM directory_sync_runs WHERE status = 'refused'"))
        .rows[0]?.n;
    for (let tick = 1; tick <= 3; tick++) {
      await app.services.jobs.send(QUEUES.sync, { source: 'file' });
      await eventually(async () => expect(await refused()).toBe(tick), 20_000, 200);
    }
    expect(notifier.posts.map((p) => p.channel)).toEqual(['#dpbot-admin']);
    expect(notifier.posts[0]?.message.text).toContain('Directory sync of file held for approval');
    expect(notifier.posts[0]?.message.text).toContain('Found by a scheduled run');
    const holds = await database.query('SELECT target, status, requested_by, trigger FROM access_holds');
    expect(holds.rows).toEqual([
      { target: 'file', status: 'pending', requested_by: null, trigger: 'schedule' },
    ]);
    const memberships = await database.query('SELECT count(*)::int AS n FROM memberships');
    expect(memberships.rows[0]?.n).toBe(5);
  });
});
