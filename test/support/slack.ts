import { createHmac, randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { type LoadedConfig, loadConfig } from '../../app/config/loadConfig.ts';
import { type RunningBot, serveSlack } from '../../app/serve.ts';
import type { Command } from '../../pipeline/defineCommand.ts';
import { SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import type { TestDatabase } from './db.ts';
import type { Fixture } from './fixture.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

/** The sandbox directory's people, as Slack knows them. */
export function slackWithPeople(): SlackSimulator {
  return new SlackSimulator()
    .addUser({ id: 'U0ADA00001', name: 'ada', realName: 'Ada Lovelace', email: 'ada@example.com' })
    .addUser({ id: 'U0GRACE001', name: 'grace', realName: 'Grace Hopper', email: 'grace@example.com' })
    .addUser({ id: 'U0LINUS001', name: 'linus', realName: 'Linus Torvalds', email: 'linus@example.com' })
    .addUser({ id: 'U0OLIVE001', name: 'olive', email: 'olive@example.com', deleted: true })
    .addUser({ id: 'U0MALLORY1', name: 'mallory', email: 'mallory@example.com' })
    .addUser({ id: 'U0NOMAIL01', name: 'nomail' })
    .addChannel({ id: 'C0OPS00001', name: 'ops', botMember: true })
    .addChannel({ id: 'C0ELSEWHERE', name: 'elsewhere', botMember: false })
    .addChannel({ id: 'G0SECRET01', name: 'secret', botMember: false, private: true });
}

/** dpbot serving Slack over HTTP on a free loopback port, its Web API pointed at the simulator. */
export async function startSlackBot(
  fixture: Fixture,
  database: TestDatabase,
  options: { extraCommands?: Command[]; env?: Record<string, string>; log?: Logger } = {},
): Promise<RunningBot> {
  const loaded = loadConfig({ path: fixture.configPath, env: {} });
  const bot = await serveSlack({
    loaded,
    env: { ...options.env, DATABASE_URL: database.url },
    log: options.log ?? pino({ level: 'silent' }),
    settings: { botToken: SANDBOX_BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: undefined },
    port: 0,
    host: '127.0.0.1',
    ...(options.extraCommands ? { extraCommands: options.extraCommands } : {}),
  });
  // The start-up doctor's requests are over before a test counts requests or injects faults.
  await bot.doctor.done;
  return bot;
}

/**
 * `npm start` with Slack credentials: the loaded configuration (the example by default) with its
 * Web API pointed at the simulator, served over HTTP on a free loopback port; log lines go to `lines`.
 */
export async function serveSandboxSlack(input: {
  loaded: LoadedConfig;
  sim: SlackSimulator;
  database: TestDatabase;
  lines?: Record<string, unknown>[];
  env?: Record<string, string>;
  admin?: string;
  tune?: (config: LoadedConfig['config']) => void;
}): Promise<RunningBot> {
  const { loaded, sim, lines } = input;
  return serveSlack({
    loaded: {
      ...loaded,
      config: { ...loaded.config, slack: { ...loaded.config.slack, apiUrl: sim.apiUrl } },
    },
    env: { ...input.env, DATABASE_URL: input.database.url },
    log: lines
      ? pino(
          { level: 'info' },
          { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
        )
      : pino({ level: 'silent' }),
    settings: { botToken: SANDBOX_BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: undefined },
    port: 0,
    host: '127.0.0.1',
    ...(input.admin ? { admin: input.admin } : {}),
    ...(input.tune ? { tune: input.tune } : {}),
  });
}

export function signature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  secret?: string;
  timestamp?: string;
  /** Replace the computed signature (forgeries). */
  signature?: string;
  omitHeaders?: boolean;
  /** Leave out one of the two headers. */
  omit?: 'x-slack-signature' | 'x-slack-request-timestamp';
  /** More headers, as a proxy in front of dpbot would add. */
  headers?: Record<string, string>;
}

/**
 * Sends requests to the bot exactly as Slack does: form-encoded slash commands, `payload=<JSON>`
 * interactivity, JSON events; signed with `X-Slack-Signature` over `v0:<timestamp>:<body>`.
 */
export class FakeSlack {
  readonly bot: string;
  readonly sim: SlackSimulator;

  constructor(botUrl: string, sim: SlackSimulator) {
    this.bot = botUrl;
    this.sim = sim;
  }

  /** The last request sent, as sent: to replay it byte for byte. */
  last: { body: string; contentType: string; timestamp: string } | undefined;

  async send(body: string, contentType: string, options: SendOptions = {}): Promise<Response> {
    const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
    this.last = { body, contentType, timestamp };
    const headers: Record<string, string> = { ...options.headers, 'content-type': contentType };
    if (!options.omitHeaders) {
      headers['x-slack-request-timestamp'] = timestamp;
      headers['x-slack-signature'] =
        options.signature ?? signature(options.secret ?? SIGNING_SECRET, timestamp, body);
      if (options.omit) delete headers[options.omit];
    }
    return fetch(`${this.bot}/slack/events`, { method: 'POST', headers, body });
  }

  slashBody(
    text: string,
    user: string,
    channel = 'C0OPS00001',
  ): { body: string; responseId: string; triggerId: string } {
    const responseId = randomUUID();
    const triggerId = this.sim.triggerId();
    const body = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: 'T0SANDBOX',
      team_domain: 'sandbox',
      channel_id: channel,
      channel_name: this.sim.channels.get(channel)?.name ?? 'unknown',
      user_id: user,
      user_name: this.sim.users.get(user)?.name ?? 'someone',
      command: '/dp',
      text,
      api_app_id: 'A0DPBOT',
      is_enterprise_install: 'false',
      response_url: this.sim.responseUrl(responseId),
      trigger_id: triggerId,
    }).toString();
    return { body, responseId, triggerId };
  }

  /** `/dp <text>`; returns the HTTP answer (the acknowledgement) and the response_url's id. */
  async slash(text: string, user: string, channel = 'C0OPS00001', options: SendOptions = {}) {
    const { body, responseId, triggerId } = this.slashBody(text, user, channel);
    const response = await this.send(body, 'application/x-www-form-urlencoded', options);
    const raw = await response.text();
    const ack = raw
      ? (JSON.parse(raw) as { text?: string; blocks?: unknown[]; response_type?: string })
      : undefined;
    if (response.ok && ack) this.sim.judgeAcknowledgement(ack);
    return { status: response.status, ack, responseId, triggerId };
  }

  /** A button click (block_actions) on a message, as Slack posts it. */
  async click(
    input: {
      user: string;
      actionId: string;
      value: string;
      channel?: string;
      messageTs?: string;
      blockId?: string;
      ephemeral?: boolean;
    },
    options: SendOptions = {},
  ) {
    const responseId = randomUUID();
    const channel = input.channel ?? 'C0OPS00001';
    const messageTs = input.messageTs ?? '1800000000.000100';
    const payload = {
      type: 'block_actions',
      user: {
        id: input.user,
        username: this.sim.users.get(input.user)?.name ?? 'someone',
        team_id: 'T0SANDBOX',
      },
      api_app_id: 'A0DPBOT',
      token: 'deprecated-verification-token',
      container: {
        type: 'message',
        message_ts: messageTs,
        channel_id: channel,
        is_ephemeral: input.ephemeral ?? false,
      },
      trigger_id: this.sim.triggerId(),
      team: { id: 'T0SANDBOX', domain: 'sandbox' },
      channel: { id: channel, name: this.sim.channels.get(channel)?.name ?? 'unknown' },
      // The click's response_url acts on the message the button sat on (replace_original).
      response_url: this.sim.responseUrl(responseId, { channel, ts: messageTs }),
      actions: [
        {
          type: 'button',
          action_id: input.actionId,
          block_id: input.blockId ?? 'actions',
          value: input.value,
          text: { type: 'plain_text', text: 'button' },
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const response = await this.send(body, 'application/x-www-form-urlencoded', options);
    return { status: response.status, responseId };
  }

  /**
   * A modal submission (view_submission); `judged` is what Slack makes of dpbot's answer (the view
   * closed, or open with errors under its inputs).
   */
  async submit(user: string, view: Record<string, unknown>) {
    const payload = {
      type: 'view_submission',
      team: { id: 'T0SANDBOX', domain: 'sandbox' },
      user: { id: user, username: this.sim.users.get(user)?.name ?? 'someone', team_id: 'T0SANDBOX' },
      api_app_id: 'A0DPBOT',
      token: 'deprecated-verification-token',
      trigger_id: this.sim.triggerId(),
      view: { id: 'V0001', team_id: 'T0SANDBOX', type: 'modal', hash: 'h', ...view },
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const response = await this.send(body, 'application/x-www-form-urlencoded');
    const text = await response.text();
    const judged = this.sim.judgeViewSubmission(payload.view, { status: response.status, body: text });
    return { status: response.status, body: text, judged };
  }

  /** An Events API delivery (JSON). */
  async event(event: Record<string, unknown>, options: SendOptions = {}) {
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: 'T0SANDBOX',
      api_app_id: 'A0DPBOT',
      event: { event_ts: `${Date.now() / 1000}`, ...event },
      type: 'event_callback',
      event_id: `Ev${randomUUID().slice(0, 8)}`,
      event_time: Math.floor(Date.now() / 1000),
    });
    const response = await this.send(body, 'application/json', options);
    return { status: response.status };
  }

  /** What dpbot sent through a response_url. */
  responses(id: string): Record<string, unknown>[] {
    return this.sim.responses.filter((r) => r.id === id).map((r) => r.body);
  }
}
