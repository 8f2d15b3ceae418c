import type pg from 'pg';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterQueue,
} from 'rate-limiter-flexible';

/**
 * Slack's budgets that every replica of one app shares: chat.postMessage about one message per
 * second per channel, chat.update (Tier 3) about 50 a minute per workspace
 * (https://docs.slack.dev/apis/web-api/rate-limits). A send waits for its turn; it is never
 * refused.
 */
export interface SlackBudget {
  /** Waits until one more post to `channel` (its ID) fits. */
  post(channel: string): Promise<void>;
  /** Waits until one more chat.update fits. */
  update(): Promise<void>;
}

/** So many turns per so many seconds. */
export interface Allowance {
  points: number;
  seconds: number;
}

export interface BudgetLimits {
  /** Per channel. */
  posts: Allowance;
  /** Per workspace. */
  updates: Allowance;
}

/**
 * The counters are fixed windows: a window's turns taken at its end and the next window's at its
 * start fall in one minute of Slack's. 45 a minute in one window let 81 chat.update through in a
 * minute across 5 replicas (bench "replicas"); 7 per 10 s allows at most 7 × 7 = 49 in any 60 s
 * (42 a minute sustained), under Slack's 50 with room for the way there.
 */
export const SLACK_LIMITS: BudgetLimits = {
  posts: { points: 1, seconds: 1 },
  updates: { points: 7, seconds: 10 },
};

/** Posts waiting for their turn in one process, per channel, before one is refused as too many. */
const MAX_WAITING = 10_000;

function budgetOf(
  make: (points: number, duration: number, prefix: string) => RateLimiterAbstract,
  limits: BudgetLimits,
): SlackBudget {
  const posts = new RateLimiterQueue(make(limits.posts.points, limits.posts.seconds, 'post'), {
    maxQueueSize: MAX_WAITING,
  });
  const updates = new RateLimiterQueue(make(limits.updates.points, limits.updates.seconds, 'update'), {
    maxQueueSize: MAX_WAITING,
  });
  return {
    post: async (channel) => {
      await posts.removeTokens(1, channel);
    },
    update: async () => {
      await updates.removeTokens(1, 'workspace');
    },
  };
}

/**
 * One budget for every replica, counted in PostgreSQL (`slack_budget`, made by the migrations).
 * While the database does not answer, each process falls back to counting alone (the library's
 * insurance limiter): messages keep going out, paced per process, rather than stopping.
 */
export function postgresBudget(pool: pg.Pool, limits: BudgetLimits = SLACK_LIMITS): SlackBudget {
  return budgetOf(
    (points, duration, keyPrefix) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'slack_budget',
        tableCreated: true,
        keyPrefix,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ points, duration, keyPrefix }),
      }),
    limits,
  );
}
