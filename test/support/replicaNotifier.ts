import type pg from 'pg';
import pino from 'pino';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { postgresShown } from '../../bot/slack/sharedShown.ts';
import { createSlackClients } from '../../bot/slack/slackApp.ts';
import { type BudgetLimits, postgresBudget } from '../../bot/slack/slackBudget.ts';
import { SlackNotifier } from '../../bot/slack/slackNotifier.ts';
import { createMetrics } from '../../core/metrics.ts';
import { connect } from '../../db/connect.ts';
import { SANDBOX_BOT_TOKEN } from '../../sandbox/slack/slackSimulator.ts';

const log = pino({ level: 'silent' });

/**
 * One "replica" of dpbot's Slack notifier: its own Web API client and, when it shares anything,
 * its own pool on `databaseUrl`, as a separate process has; only PostgreSQL is shared. Pools are
 * added to `pools` for the caller to end.
 */
export function replicaNotifier(input: {
  apiUrl: string;
  databaseUrl: string;
  pools: pg.Pool[];
  postIntervalMs: number;
  /** The Slack budget shared through PostgreSQL; none: this process paces alone. */
  limits?: BudgetLimits;
  /** Also share what each message shows. */
  shareShown?: boolean;
}): SlackNotifier {
  const config = parseConfig({ slack: { apiUrl: input.apiUrl } }, 'test');
  const { client } = createSlackClients(
    { botToken: SANDBOX_BOT_TOKEN, signingSecret: undefined, appToken: undefined },
    config,
    log,
    createMetrics(),
  );
  const notifier = new SlackNotifier(client, {
    updateIntervalMs: 0,
    log,
    postIntervalMs: input.postIntervalMs,
  });
  if (input.limits) {
    const { pool } = connect(input.databaseUrl, 2, log);
    input.pools.push(pool);
    notifier.shareBudget(
      postgresBudget(pool, input.limits),
      input.shareShown ? postgresShown(pool, log) : undefined,
    );
  }
  return notifier;
}
