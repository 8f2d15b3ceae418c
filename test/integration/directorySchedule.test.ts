import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { QUEUES } from '../../handlers/directory/queues.ts';
import { startJobs } from '../../pipeline/jobs.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';

let fixture: Fixture;
let cron = '';
let database: TestDatabase;
const replicas: App[] = [];

/** A cron for the current UTC minute of today: due now, and not again for a day. */
function cronForThisMinute(): string {
  const now = new Date();
  return `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`;
}

beforeAll(async () => {
  database = await createTestDatabase();
  // A schedule left behind by a source that is no longer configured.
  const log = pino({ level: 'silent' });
  const jobs = await startJobs({ url: database.url, log, pollIntervalSeconds: 1, schedule: false });
  await jobs.schedule(QUEUES.sync, '0 3 * * *', { source: 'retired' }, { key: 'retired' });
  await jobs.stop();

  // The tick is due for 60 s from the start of its minute (pg-boss looks back one minute): with
  // less than 15 s of this minute left, the replicas (which look every second once started, a
  // few seconds from here even on a busy machine) might first look after it has passed, so take
  // the next minute instead.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
  cron = cronForThisMinute();
  fixture = createFixture({
    config: {
      jobs: { pollInterval: '1s' },
      directory: {
        sources: [{ name: 'file', type: 'file', path: 'directory.yaml', schedule: cron }],
      },
    },
  });
  // Two replicas of dpbot on one database, both running workers and schedules.
  for (let i = 0; i < 2; i++) {
    replicas.push(
      await createApp({
        loaded: loadConfig({ path: fixture.configPath, env: {} }),
        env: { DATABASE_URL: database.url },
        log,
        runWorkers: true,
        cronCheckSeconds: 1,
      }),
    );
  }
});
afterAll(async () => {
  for (const app of replicas) await app.close();
  await database.drop();
  fixture.remove();
});

describe('scheduled directory sync', () => {
  it('keeps one schedule per configured source and removes those of retired sources', async () => {
    const rows = await database.query('SELECT key, cron FROM pgboss.schedule WHERE name = $1 ORDER BY key', [
      QUEUES.sync,
    ]);
    expect(rows.rows).toEqual([{ key: 'file', cron }]);
  });

  it('runs each tick once across two replicas', async () => {
    const scheduled = async () =>
      (await database.query("SELECT status, trigger FROM directory_sync_runs WHERE trigger = 'schedule'"))
        .rows;
    await eventually(async () => expect(await scheduled()).toHaveLength(1), 20_000, 200);
    // Both replicas keep checking for due ticks, one claimed pass a second between them, each
    // stamping pgboss.version.cron_on as it starts: a duplicate would come from one of the passes
    // after the run, so wait for three more of them rather than for a number of seconds.
    const cronOn = async () =>
      (await database.query<{ at: string | null }>('SELECT cron_on::text AS at FROM pgboss.version')).rows[0]
        ?.at;
    let last = await cronOn();
    for (let passes = 0; passes < 3; passes++) {
      last = await eventually(
        async () => {
          const now = await cronOn();
          expect(now).not.toBe(last);
          return now;
        },
        20_000,
        100,
      );
    }
    expect(await scheduled()).toEqual([{ status: 'unchanged', trigger: 'schedule' }]);
    const jobs = await database.query('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [
      QUEUES.sync,
    ]);
    expect(jobs.rows[0]?.n).toBe(1);
  });
});
