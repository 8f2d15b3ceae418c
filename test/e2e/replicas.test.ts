import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journal } from '../../db/migrate.ts';
import { type Jobs, startJobs } from '../../pipeline/jobs.ts';
import { QUEUES } from '../../pipeline/queues.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, slackPortOf, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople } from '../support/slack.ts';

type Replica = DpbotProcess;

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let replicas: Replica[] = [];

const startReplica = (): Replica =>
  startDpbotProcess({ configPath: fixture.configPath, databaseUrl: database.url, logLevel: 'debug' });

const portOf = slackPortOf;

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl }, jobs: { pollInterval: '500ms' } } });
  database = await createTestDatabase();
  // Start from an empty database, so both replicas race to migrate it.
  await database.query(
    'DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE; DROP SCHEMA IF EXISTS pgboss CASCADE',
  );
  replicas = [startReplica(), startReplica()];
  await eventually(() => {
    for (const r of replicas) expect(portOf(r), JSON.stringify(r.lines.slice(-3))).toBeGreaterThan(0);
  }, 60_000);
}, 90_000);

afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('two dpbot processes on one database behave as one', () => {
  it('applied the migrations once', async () => {
    const applied = await database.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
    );
    expect(applied.rows[0]?.n).toBe(journal().entries.length);
    const migrated = replicas.filter((r) => r.lines.some((l) => l.msg === 'database migrations applied'));
    expect(migrated).toHaveLength(1);
  });

  it('handle a Slack delivery once, whichever replica receives it', async () => {
    const [a, b] = replicas.map((r) => new FakeSlack(`http://127.0.0.1:${portOf(r)}`, sim));
    if (!a || !b) throw new Error('two replicas expected');
    const { body } = a.slashBody('whoami', 'U0ADA00001');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const statuses = await Promise.all([
      a.send(body, 'application/x-www-form-urlencoded', { timestamp }),
      b.send(body, 'application/x-www-form-urlencoded', { timestamp }),
    ]).then((rs) => rs.map((r) => r.status).sort());
    expect(statuses).toEqual([200, 401]);
    await eventually(async () => {
      const rows = await database.query("SELECT kind FROM audit_log WHERE command = 'whoami' ORDER BY id");
      expect(rows.rows).toEqual([{ kind: 'attempt' }, { kind: 'outcome' }]);
    });
  });

  it('run each job once', async () => {
    const jobs: Jobs = await startJobs({
      url: database.url,
      log: pino({ level: 'silent' }),
      pollIntervalSeconds: 1,
      schedule: false,
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await jobs.send(QUEUES.expireConfirmations, { i })) ?? '');
      const started = () =>
        replicas.flatMap((r) =>
          r.lines
            .filter((l) => l.msg === 'job started' && ids.includes(String(l.jobId)))
            .map((l) => String(l.jobId)),
        );
      await eventually(() => expect(new Set(started()).size).toBe(12), 30_000);
      expect(started().sort()).toEqual([...ids].sort());
    } finally {
      await jobs.stop({ graceful: false });
    }
  });

  it('stop cleanly on SIGTERM', async () => {
    for (const r of replicas) r.child.kill('SIGTERM');
    const codes = await Promise.all(replicas.map((r) => r.exited));
    expect(codes).toEqual([0, 0]);
  }, 60_000);
});
