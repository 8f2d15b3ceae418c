import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/paths.ts';
import { journal } from '../../db/migrate.ts';
import { type Jobs, startJobs } from '../../pipeline/jobs.ts';
import { EXPIRE_CONFIRMATIONS_QUEUE } from '../../pipeline/workers.ts';
import { SANDBOX_BOT_TOKEN, type SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, SIGNING_SECRET, slackWithPeople } from '../support/slack.ts';

interface Replica {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let replicas: Replica[] = [];

function startReplica(): Replica {
  const child = spawn(
    process.execPath,
    [join(projectRoot(), 'bin/dpbot.ts'), 'start', '--config', fixture.configPath],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: database.url,
        SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        PORT: '0',
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

const portOf = (r: Replica) =>
  r.lines.find((l) => l.msg === 'serving Slack at POST /slack/events')?.port as number | undefined;

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
      for (let i = 0; i < 12; i++) ids.push((await jobs.send(EXPIRE_CONFIRMATIONS_QUEUE, { i })) ?? '');
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
