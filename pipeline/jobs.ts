import { sql } from 'drizzle-orm';
import { type Db as BossDb, type Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { applicationName } from '../core/applicationName.ts';
import { TRACEPARENT_KEY, tracing } from '../core/tracing.ts';
import type { Tx } from '../db/connect.ts';

export interface JobContext {
  id: string;
  retryCount: number;
  signal: AbortSignal;
}

export interface QueueSettings {
  /** Attempts after the first failure (default 3), with exponential backoff from `retryDelaySeconds`. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** How long one attempt may run before it is considered lost and retried (default 15 minutes). */
  expireInSeconds?: number;
  /**
   * With it, the running process marks the job alive every half of it, and a job not marked for
   * that long (its process died, or lost the database) is retried by another worker at the next
   * supervision pass (`jobs.superviseInterval`), whatever its expiry. At least 10.
   */
  heartbeatSeconds?: number;
  /**
   * pg-boss queue policy (default standard). With `short`, at most one job per singletonKey waits
   * to run, so a job that re-queues itself (a watcher) stays one chain even if sent twice.
   * Set when the queue is first created; later changes need a new queue name.
   */
  policy?: 'standard' | 'short' | 'singleton' | 'stately';
  /** Jobs of the queue this process runs at once (default 4); only `work` reads it. */
  concurrency?: number;
}

/**
 * For a queue fed by a cron schedule (one job a tick across all replicas): one worker, as every
 * worker of the queue wakes at each tick's NOTIFY and looks, and all but one find nothing.
 */
export const ONE_AT_A_TIME: QueueSettings = { concurrency: 1 };

/**
 * Durable work that must happen once across every running replica: timers (a scale revert in two
 * hours), watchers (a workflow's progress), schedules (a directory sync every 15 minutes). Backed
 * by pg-boss on dpbot's own PostgreSQL.
 */
export interface Jobs {
  /** Runs the queue's jobs in this process; each job is taken by one replica at a time. */
  work<T extends object>(
    queue: string,
    handler: (data: T, job: JobContext) => Promise<void>,
    settings?: QueueSettings,
  ): Promise<void>;
  /**
   * Queues a job, now or at `startAfter`. With `singletonKey`, at most one queued job per key.
   * With `tx`, the job is written in that transaction: it exists exactly when the state change
   * that needs it commits. The queue's settings go with each job, so a queue created before a
   * setting changed gets it too.
   */
  send<T extends object>(queue: string, data: T, options?: SendOptions): Promise<string | null>;
  /** How many jobs of the queue whose data contains `data` are waiting, due or running. */
  live(queue: string, data: object): Promise<number>;
  /** Cancels a job that has not run yet. */
  cancel(queue: string, id: string): Promise<void>;
  /** Runs the queue on a cron schedule, once per tick across all replicas. */
  schedule(
    queue: string,
    cron: string,
    data?: object,
    options?: { key?: string; tz?: string },
  ): Promise<void>;
  unschedule(queue: string, key?: string): Promise<void>;
  /** The keys of the queue's schedules (to remove those no longer configured). */
  scheduled(queue: string): Promise<string[]>;
  /** Jobs due, waiting for their time, and running, per queue, as of pg-boss's last monitoring pass (for metrics). */
  depth(): Promise<{ queue: string; ready: number; deferred: number; active: number }[]>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export interface SendOptions {
  startAfter?: Date;
  singletonKey?: string;
  settings?: QueueSettings;
  /** The caller's transaction: the job commits (or not) with it. */
  tx?: Tx;
}

/**
 * pg-boss runs its statements through this inside the caller's transaction. Its SQL numbers its
 * parameters ($1, $2, …); they are handed to drizzle as parameters of the same statement.
 */
export function bossDb(tx: Tx): BossDb {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const chunks = text.split(/\$(\d+)/);
      const parts = chunks.map((chunk, i) =>
        i % 2 === 0 ? sql.raw(chunk) : sql`${values[Number(chunk) - 1]}`,
      );
      const result = await tx.execute(sql.join(parts, sql.raw('')));
      return { rows: result.rows };
    },
  };
}

export interface JobsOptions {
  url: string;
  log: Logger;
  /**
   * How often idle workers look for due jobs nothing woke them for (pg-boss polls; minimum 0.5 s).
   * A job queued to run now wakes every replica's workers (PostgreSQL NOTIFY), and one queued for
   * later wakes the queuing process's workers at its time; polling finds the rest (retries, jobs
   * whose process stopped first).
   */
  pollIntervalSeconds: number;
  /** Whether this process runs cron schedules (every replica may; pg-boss sends each tick once). */
  schedule?: boolean;
  /** How often this process checks for due cron ticks (pg-boss default 30 s; tests shorten it). */
  cronCheckSeconds?: number;
  /**
   * How often pg-boss looks for jobs whose process died (expired, or heartbeat lost) and retries
   * them (pg-boss default 60 s; dpbot 20 s: a heartbeat of 20 s lapses, the next pass puts the job
   * back, the next 15-s look takes it up, within a minute).
   */
  superviseSeconds?: number;
  /**
   * The heartbeat of every queue whose settings ask for one, in place of theirs (at least 10, as
   * pg-boss requires): how long a job whose process died goes unnoticed. Tests shorten it.
   */
  heartbeatSeconds?: number;
  /** Told of every job run and whether it succeeded (for metrics). */
  onRun?: (queue: string, ok: boolean) => void;
}

const QUEUE_NAME = /^[a-z][a-z0-9.-]*$/;

/**
 * With tracing on, a job carries the trace context of what queued it (a request, or the job run
 * before it), so its run, a trace of its own, links back there. Without tracing, the data is as
 * given.
 */
function withTrace<T extends object>(data: T): T {
  const traceparent = tracing().traceparent();
  return traceparent ? { ...data, [TRACEPARENT_KEY]: traceparent } : data;
}

/** Runs a job in a span linked to the trace that queued it; the handler gets its data without it. */
function runTraced<T extends object>(
  queue: string,
  job: Job<T>,
  handler: (data: T, job: JobContext) => Promise<void>,
): Promise<void> {
  const context = { id: job.id, retryCount: job.retryCount, signal: job.signal };
  if (!tracing().on) return handler(job.data, context);
  const attributes = { 'dpbot.queue': queue, 'dpbot.job_id': job.id, 'dpbot.retry': job.retryCount };
  // A cron tick's job has no data at all, and no request behind it.
  const given: unknown = job.data;
  if (given === null || typeof given !== 'object' || !(TRACEPARENT_KEY in given))
    return tracing().linked(`job ${queue}`, undefined, attributes, () => handler(job.data, context));
  const { [TRACEPARENT_KEY]: from, ...data } = given as Record<string, unknown>;
  return tracing().linked(`job ${queue}`, typeof from === 'string' ? from : undefined, attributes, () =>
    handler(data as T, context),
  );
}

/** How often queues whose jobs beat a heartbeat look for jobs put back for retry. */
const HEARTBEAT_QUEUE_POLL_SECONDS = 15;
/**
 * How often each pg-boss worker looks for itself. The due look (#look) does the polling for every
 * queue in one statement and wakes the workers with something to do; this is only a backstop.
 */
const WORKER_BACKSTOP_SECONDS = 600;

class PgBossJobs implements Jobs {
  readonly #boss: PgBoss;
  readonly #log: Logger;
  readonly #poll: number;
  readonly #queues = new Map<string, Promise<void>>();
  /** Each queue's workers in this process (the first is woken when a job queued here for later is due). */
  readonly #workers = new Map<string, string[]>();
  /** Queues worked here whose jobs beat a heartbeat: the due look covers them every 15 s. */
  readonly #heartbeatQueues = new Set<string>();
  readonly #wakes = new Set<NodeJS.Timeout>();
  readonly #onRun: (queue: string, ok: boolean) => void;
  readonly #heartbeat: number | undefined;
  #lookTimer: NodeJS.Timeout | undefined;
  #looking = false;
  #lastFullLook = 0;

  constructor(
    boss: PgBoss,
    log: Logger,
    poll: number,
    onRun: (queue: string, ok: boolean) => void = () => {},
    heartbeat?: number,
  ) {
    this.#boss = boss;
    this.#log = log;
    this.#poll = poll;
    this.#onRun = onRun;
    this.#heartbeat = heartbeat;
  }

  /** The settings as given, with this process's heartbeat where they ask for one. */
  #withHeartbeat(settings: QueueSettings | undefined): QueueSettings | undefined {
    if (!settings?.heartbeatSeconds || this.#heartbeat === undefined) return settings;
    return { ...settings, heartbeatSeconds: this.#heartbeat };
  }

  #ensure(queue: string, given: QueueSettings = {}): Promise<void> {
    const settings = this.#withHeartbeat(given) ?? {};
    if (!QUEUE_NAME.test(queue)) throw new Error(`invalid queue name "${queue}"`);
    let ready = this.#queues.get(queue);
    if (!ready) {
      ready = this.#boss.createQueue(queue, {
        policy: settings.policy ?? 'standard',
        retryLimit: settings.retryLimit ?? 3,
        retryDelay: settings.retryDelaySeconds ?? 5,
        retryBackoff: true,
        expireInSeconds: settings.expireInSeconds ?? 900,
        ...(settings.heartbeatSeconds ? { heartbeatSeconds: settings.heartbeatSeconds } : {}),
        notify: true,
      });
      // Queues created before jobs announced themselves: createQueue leaves an existing one as it is.
      ready = ready.then(() => this.#boss.updateQueue(queue, { notify: true }));
      ready.catch(() => this.#queues.delete(queue));
      this.#queues.set(queue, ready);
    }
    return ready;
  }

  async work<T extends object>(
    queue: string,
    handler: (data: T, job: JobContext) => Promise<void>,
    settings?: QueueSettings,
  ): Promise<void> {
    await this.#ensure(queue, settings);
    // A job whose process died is put back by the supervision pass without a notification, so
    // queues whose jobs beat a heartbeat (watchers, reverts) are looked at every 15 s, to take it up
    // within a minute of the death; the others are woken by NOTIFY and looked at seldom.
    if (settings?.heartbeatSeconds) this.#heartbeatQueues.add(queue);
    // pg-boss polls per worker (4 workers × 17 queues made an idle replica's polling alone about
    // 2 statements a second): each worker here polls only as a backstop, and one statement a look
    // finds every queue with a due job and wakes its workers. Separate one-worker registrations, as
    // pg-boss wakes one worker by id and not a whole queue.
    const poll = Math.max(this.#poll, WORKER_BACKSTOP_SECONDS);
    const options = { pollingIntervalSeconds: poll, notifyPollingIntervalSeconds: poll, localConcurrency: 1 };
    const ids: string[] = [];
    for (let i = 0; i < (settings?.concurrency ?? 4); i++) {
      ids.push(
        await this.#boss.work<T>(queue, options, async (jobs: Job<T>[]) => {
          for (const job of jobs) {
            const log = this.#log.child({ queue, jobId: job.id, retry: job.retryCount });
            log.debug('job started');
            try {
              await runTraced(queue, job, handler);
              this.#onRun(queue, true);
            } catch (error) {
              this.#onRun(queue, false);
              log.error({ err: error }, 'job failed; pg-boss retries it with backoff until its retry limit');
              throw error;
            }
          }
        }),
      );
    }
    this.#workers.set(queue, ids);
    this.#startLooking();
  }

  #startLooking(): void {
    if (this.#lookTimer) return;
    this.#lastFullLook = Date.now();
    const every = Math.min(this.#poll, HEARTBEAT_QUEUE_POLL_SECONDS) * 1000;
    this.#lookTimer = setInterval(() => void this.#look(), every);
    this.#lookTimer.unref();
  }

  /**
   * Wakes the workers of the queues that have a job due: every queue once per poll interval, the
   * heartbeat queues every 15 s. One statement, whatever the number of queues.
   */
  async #look(): Promise<void> {
    if (this.#looking) return;
    const full = Date.now() - this.#lastFullLook >= this.#poll * 1000 - 100;
    const names = full ? [...this.#workers.keys()] : [...this.#heartbeatQueues];
    if (!names.length) return;
    this.#looking = true;
    try {
      if (full) this.#lastFullLook = Date.now();
      const { rows } = await this.#boss
        .getDb()
        .executeSql(
          `SELECT DISTINCT name FROM pgboss.job WHERE name = ANY($1::text[]) AND state < 'active' AND NOT blocked AND start_after <= pgboss.job_now()`,
          [names],
        );
      for (const row of rows as { name: string }[]) {
        for (const id of this.#workers.get(row.name) ?? []) this.#boss.notifyWorker(id);
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'could not look for due jobs; the next look tries again');
    } finally {
      this.#looking = false;
    }
  }

  async send<T extends object>(queue: string, data: T, options: SendOptions = {}): Promise<string | null> {
    await this.#ensure(queue, options.settings);
    const s = this.#withHeartbeat(options.settings);
    const id = await this.#boss.send(queue, withTrace(data), {
      ...(options.startAfter ? { startAfter: options.startAfter } : {}),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      ...(s?.retryLimit !== undefined ? { retryLimit: s.retryLimit } : {}),
      ...(s?.retryDelaySeconds !== undefined ? { retryDelay: s.retryDelaySeconds } : {}),
      ...(s?.expireInSeconds !== undefined ? { expireInSeconds: s.expireInSeconds } : {}),
      ...(s?.heartbeatSeconds !== undefined ? { heartbeatSeconds: s.heartbeatSeconds } : {}),
      ...(options.tx ? { db: bossDb(options.tx) } : {}),
    });
    // A job due now was announced to every replica; one due later is picked up at its time by this
    // process (if still running), rather than at the next poll, however long the poll interval.
    const due = (options.startAfter?.getTime() ?? 0) - Date.now();
    const worker = this.#workers.get(queue)?.[0];
    if (id && worker && due > 0 && due < 2 ** 31 - 1) {
      const timer = setTimeout(() => {
        this.#wakes.delete(timer);
        this.#boss.notifyWorker(worker);
      }, due + 50);
      timer.unref();
      this.#wakes.add(timer);
    }
    return id;
  }

  async live(queue: string, data: object): Promise<number> {
    await this.#ensure(queue);
    const jobs = await this.#boss.findJobs(queue, { data });
    return jobs.filter((j) => j.state === 'created' || j.state === 'retry' || j.state === 'active').length;
  }

  async cancel(queue: string, id: string): Promise<void> {
    await this.#ensure(queue);
    await this.#boss.cancel(queue, id);
  }

  async schedule(
    queue: string,
    cron: string,
    data?: object,
    options: { key?: string; tz?: string } = {},
  ): Promise<void> {
    await this.#ensure(queue);
    await this.#boss.schedule(queue, cron, data ?? null, {
      ...(options.key ? { key: options.key } : {}),
      tz: options.tz ?? 'UTC',
    });
  }

  async unschedule(queue: string, key?: string): Promise<void> {
    await this.#boss.unschedule(queue, key);
  }

  async scheduled(queue: string): Promise<string[]> {
    const schedules = await this.#boss.getSchedules(queue);
    return schedules.map((s) => s.key);
  }

  async depth(): Promise<{ queue: string; ready: number; deferred: number; active: number }[]> {
    const queues = await this.#boss.getQueues();
    return queues.map((q) => ({
      queue: q.name,
      ready: q.readyCount,
      deferred: q.deferredCount,
      active: q.activeCount,
    }));
  }

  async stop(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    clearInterval(this.#lookTimer);
    for (const timer of this.#wakes) clearTimeout(timer);
    this.#wakes.clear();
    await this.#boss.stop({
      graceful: options.graceful ?? true,
      timeout: options.timeoutMs ?? 10_000,
      close: true,
    });
  }
}

/** Starts pg-boss (installing or upgrading its schema, `pgboss`, under its own lock). */
export async function startJobs(options: JobsOptions): Promise<Jobs> {
  const log = options.log.child({ component: 'jobs' });
  const boss = new PgBoss({
    connectionString: options.url,
    max: 4,
    // Jobs queued to run now wake the workers of every replica at once (LISTEN on one connection),
    // so idle workers can poll seldom.
    useListenNotify: true,
    // Job dependencies (flows) are not used: their supervision need not look every 5 s.
    flowIntervalSeconds: 60,
    schedule: options.schedule ?? true,
    // A cron tick is queued by whichever replica sees it first, then sent on by a worker polling
    // every cronWorkerIntervalSeconds (pg-boss: 5 s): 30 s is soon enough for dpbot's schedules
    // (every minute at the most often) and costs an idle replica 0.03 queries a second, not 0.2.
    ...(options.cronCheckSeconds
      ? {
          cronMonitorIntervalSeconds: options.cronCheckSeconds,
          cronWorkerIntervalSeconds: Math.max(1, Math.min(45, options.cronCheckSeconds)),
        }
      : { cronWorkerIntervalSeconds: 30 }),
    // Each pass costs every replica a few statements (its claims, the vacuum and reindex checks)
    // and the replica that wins the claim the queue statistics and the expiry and heartbeat
    // checks; the heartbeat check is the monitoring pass, so both run at the same interval.
    superviseIntervalSeconds: options.superviseSeconds ?? 20,
    monitorIntervalSeconds: options.superviseSeconds ?? 20,
    application_name: applicationName('dpbot-jobs'),
  });
  boss.on('error', (error: unknown) => log.error({ err: error }, 'job queue error'));
  await boss.start();
  return new PgBossJobs(
    boss,
    log,
    options.pollIntervalSeconds,
    options.onRun,
    options.heartbeatSeconds === undefined ? undefined : Math.max(10, Math.round(options.heartbeatSeconds)),
  );
}
