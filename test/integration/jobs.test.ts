import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jobs, startJobs } from '../../pipeline/jobs.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { TcpProxy } from '../support/tcpProxy.ts';

let database: TestDatabase;
let a: Jobs;
let b: Jobs;

beforeAll(async () => {
  database = await createTestDatabase();
  const log = pino({ level: 'silent' });
  // Two "replicas" on one database.
  a = await startJobs({ url: database.url, log, pollIntervalSeconds: 0.5 });
  b = await startJobs({ url: database.url, log, pollIntervalSeconds: 0.5 });
});
afterAll(async () => {
  await a.stop({ graceful: false });
  await b.stop({ graceful: false });
  await database.drop();
});

describe('job queue with two replicas', () => {
  it('runs each job once, on one of them', async () => {
    const seen: string[] = [];
    await a.work<{ n: number }>('test.once', async (data) => {
      seen.push(`a${data.n}`);
    });
    await b.work<{ n: number }>('test.once', async (data) => {
      seen.push(`b${data.n}`);
    });
    for (let n = 0; n < 20; n++) await a.send('test.once', { n });
    await eventually(() => expect(seen).toHaveLength(20));
    expect(new Set(seen.map((s) => s.slice(1))).size).toBe(20);
  });

  it('keeps a delayed job until it is due, and a cancelled one never runs', async () => {
    const seen: string[] = [];
    await a.work<{ v: string }>('test.delayed', async (data) => {
      seen.push(data.v);
    });
    const later = await a.send(
      'test.delayed',
      { v: 'later' },
      { startAfter: new Date(Date.now() + 3_600_000) },
    );
    const cancelled = await a.send(
      'test.delayed',
      { v: 'cancelled' },
      { startAfter: new Date(Date.now() + 1_000) },
    );
    await a.cancel('test.delayed', cancelled as string);
    await a.send('test.delayed', { v: 'now' });
    await eventually(() => expect(seen).toEqual(['now']));
    const state = await database.query(
      "SELECT data->>'v' AS v, state FROM pgboss.job WHERE name = 'test.delayed' ORDER BY data->>'v'",
    );
    expect(state.rows).toEqual([
      { v: 'cancelled', state: 'cancelled' },
      { v: 'later', state: 'created' },
      { v: 'now', state: 'completed' },
    ]);
    expect(later).toBeTruthy();
  });

  it('retries a failing job', async () => {
    let attempts = 0;
    await b.work(
      'test.retry',
      async () => {
        attempts++;
        if (attempts < 2) throw new Error('transient');
      },
      { retryLimit: 3, retryDelaySeconds: 1 },
    );
    await b.send('test.retry', {}, { settings: { retryLimit: 3, retryDelaySeconds: 1 } });
    await eventually(() => expect(attempts).toBe(2), 20_000);
  });

  it("lists its queues with their depth (as of pg-boss's last monitoring pass)", async () => {
    // The queues it lists, each holding a job not yet due, whether or not the cases above ran.
    const due = new Date(Date.now() + 3_600_000);
    for (const queue of ['test.once', 'test.delayed', 'test.retry']) {
      await a.send(queue, { v: 'listed' }, { startAfter: due });
    }
    const depth = await a.depth();
    expect(depth.map((q) => q.queue)).toEqual(
      expect.arrayContaining(['test.once', 'test.delayed', 'test.retry']),
    );
  });

  it('a job whose process lost its database mid-run is taken over by another worker once its heartbeat lapses, long before its expiry', async () => {
    const { proxy, url } = await TcpProxy.forDatabase(database.url);
    const log = pino({ level: 'silent' });
    // One worker reaches the database through a proxy the test cuts: it can neither mark the
    // job alive nor report anything, as a process killed mid-run. The other supervises often.
    const doomed = await startJobs({ url, log, pollIntervalSeconds: 0.5, superviseSeconds: 1 });
    const survivor = await startJobs({
      url: database.url,
      log,
      pollIntervalSeconds: 0.5,
      superviseSeconds: 1,
    });
    const settings = { retryLimit: 2, retryDelaySeconds: 1, expireInSeconds: 900, heartbeatSeconds: 10 };
    const ran: string[] = [];
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    try {
      await doomed.work(
        'test.heartbeat',
        async (_data, job) => {
          ran.push('doomed');
          started();
          // Holds the job until pg-boss takes the claim away (or forever, had it no heartbeat).
          await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve()));
        },
        settings,
      );
      await doomed.send('test.heartbeat', { n: 1 }, { settings });
      await running;
      proxy.cut();
      await survivor.work(
        'test.heartbeat',
        async () => {
          ran.push('survivor');
        },
        settings,
      );
      await eventually(() => expect(ran).toEqual(['doomed', 'survivor']), 45_000, 250);
      // pg-boss records the completion after the handler returns, in a statement of its own.
      await eventually(async () => {
        const rows = await database.query<{ state: string; retry_count: number }>(
          "SELECT state, retry_count FROM pgboss.job WHERE name = 'test.heartbeat'",
        );
        expect(rows.rows).toEqual([{ state: 'completed', retry_count: 1 }]);
      });
    } finally {
      await survivor.stop({ graceful: false });
      await doomed.stop({ graceful: false, timeoutMs: 1_000 }).catch(() => undefined);
      await proxy.stop();
    }
  }, 60_000);
});

describe('workers that poll seldom', () => {
  let slowA: Jobs;
  let slowB: Jobs;
  beforeAll(async () => {
    const log = pino({ level: 'silent' });
    // Polling far slower than any wait below: only a wake-up can get these jobs run.
    slowA = await startJobs({ url: database.url, log, pollIntervalSeconds: 3600 });
    slowB = await startJobs({ url: database.url, log, pollIntervalSeconds: 3600 });
  });
  afterAll(async () => {
    await slowA.stop({ graceful: false });
    await slowB.stop({ graceful: false });
  });

  it('run a job queued now by another replica at once (NOTIFY), and one queued for later at its time', async () => {
    const seen: string[] = [];
    await slowB.work<{ v: string }>('test.woken', async (data) => {
      seen.push(`b:${data.v}`);
    });
    // Sent from a replica without a worker on this queue: every replica is told.
    await slowA.send('test.woken', { v: 'now' });
    await eventually(() => expect(seen).toEqual(['b:now']), 20_000);
    // Queued for later by the replica that works the queue: it wakes itself when it is due.
    await slowB.send('test.woken', { v: 'later' }, { startAfter: new Date(Date.now() + 1_000) });
    await eventually(() => expect(seen).toEqual(['b:now', 'b:later']), 20_000);
  });
});
