import { randomUUID } from 'node:crypto';
import {
  App,
  type Authorize,
  type AuthorizeResult,
  HTTPReceiver,
  type Receiver,
  type RespondFn,
  SocketModeReceiver,
} from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { countedFetch, type Metrics } from '../../core/metrics.ts';
import type { BoundCapability } from '../../pipeline/capability.ts';
import type { CommandPipeline } from '../../pipeline/pipeline.ts';
import { notifiesNoOne, REHEARSED_COMMAND } from '../../pipeline/rehearsal.ts';
import { accessVersionProperties } from './accessVersion.ts';
import { boltLogger } from './boltLogger.ts';
import { arrivalProperties } from './ingress.ts';
import { registerActions } from './listeners/actions.ts';
import { commandListener, registerCommand } from './listeners/command.ts';
import { registerEvents } from './listeners/events.ts';
import { registerOptions } from './listeners/options.ts';
import { registerViews } from './listeners/views.ts';
import { CachedSlackProfiles } from './profiles.ts';
import type { SlackDeps, SlackSurfaceConfig, SlackSurfaceDeps } from './slackDeps.ts';
import { SlackNotifier } from './slackNotifier.ts';
import { warmRequests } from './warmUp.ts';

export interface SlackSettings {
  botToken: string;
  /** HTTP mode: Slack signs every request with it. */
  signingSecret: string | undefined;
  /** Socket Mode when set (an `xapp-` token with connections:write). */
  appToken: string | undefined;
}

/** Slack credentials from the environment, or undefined when dpbot should not serve Slack. */
export function slackSettings(env: Env): SlackSettings | undefined {
  const botToken = readSecret(env, 'SLACK_BOT_TOKEN');
  if (!botToken) return undefined;
  return {
    botToken,
    signingSecret: readSecret(env, 'SLACK_SIGNING_SECRET'),
    appToken: readSecret(env, 'SLACK_APP_TOKEN'),
  };
}

/** What the Web API client, notifier and profile cache read of the configuration. */
export interface SlackClientsConfig {
  slack: Pick<SlackSurfaceConfig, 'apiUrl' | 'timeout' | 'updateInterval'>;
  access: { identityCacheTtl: number };
}

/** The Web API client, notifier and profile cache: built before the app, since services use them. */
export function createSlackClients(
  settings: SlackSettings,
  config: SlackClientsConfig,
  log: Logger,
  metrics: Metrics,
) {
  const client = new WebClient(settings.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    fetch: countedFetch(metrics, 'slack'),
    logger: boltLogger(log),
    // Rate-limited calls wait for Retry-After and try again; other failures a few times.
    retryConfig: { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 5_000 },
    timeout: config.slack.timeout,
  });
  const notifier = new SlackNotifier(client, { updateIntervalMs: config.slack.updateInterval, log });
  const profiles = new CachedSlackProfiles(client, config.access.identityCacheTtl);
  return { client, notifier, profiles };
}

/**
 * Who the bot is (auth.test), asked on the first request and kept; a failed question is asked
 * again on the next request. No auth.test at start: the token is checked by the first real call,
 * and tests need no Slack. (Bolt's own authorization with `tokenVerificationEnabled: false` asks
 * auth.test again before every request it dispatches: a Slack round trip ahead of each
 * acknowledgement.)
 */
function botIdentity(client: WebClient, botToken: string): Authorize<boolean> {
  let identity: Promise<AuthorizeResult> | undefined;
  return async () => {
    identity ??= client.auth
      .test({ token: botToken })
      .then((r) => ({
        botToken,
        ...(r.user_id ? { botUserId: r.user_id } : {}),
        ...(r.bot_id ? { botId: r.bot_id } : {}),
      }))
      .catch((error: unknown) => {
        identity = undefined;
        throw error;
      });
    return identity;
  };
}

export interface SlackRuntime {
  app: App;
  /** Set in HTTP mode: the server hands POST /slack/events to it after its own checks. */
  http: HTTPReceiver | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Asks Slack who the bot is now, so that the first request does not wait for it. */
  warm(): Promise<void>;
  /**
   * Sends signed requests of a command only this process knows to the server at `url` (HTTP
   * mode only): the path every Slack request takes, run before the first person's; sent as `as`
   * (the Slack id of someone who used dpbot in the last day), they rehearse that person's
   * `whoami` through the pipeline, leaving no trace of it.
   */
  warmRequestPath(url: string, as?: string): Promise<void>;
}

/**
 * The Bolt app: one listener module per kind of request (slash command, buttons, forms, options,
 * events), each registered by one call, all feeding the same pipeline.
 */
export function createSlackRuntime(input: {
  settings: SlackSettings;
  deps: SlackSurfaceDeps;
  capabilities: readonly BoundCapability[];
  pipeline: CommandPipeline;
  clients: ReturnType<typeof createSlackClients>;
  log: Logger;
}): SlackRuntime {
  const { settings, deps: surface, log } = input;
  const config = surface.config;
  const logger = boltLogger(log);
  let http: HTTPReceiver | undefined;
  let receiver: Receiver;
  if (settings.appToken) {
    receiver = new SocketModeReceiver({
      appToken: settings.appToken,
      logger,
      ...(config.slack.apiUrl
        ? { installerOptions: { clientOptions: { slackApiUrl: config.slack.apiUrl } } }
        : {}),
    });
  } else {
    if (!settings.signingSecret) {
      throw new Error(
        'SLACK_SIGNING_SECRET is required to serve Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)',
      );
    }
    http = new HTTPReceiver({
      signingSecret: settings.signingSecret,
      endpoints: '/slack/events',
      logger,
      processBeforeResponse: false,
      customPropertiesExtractor: (req) => ({ ...accessVersionProperties(req), ...arrivalProperties(req) }),
      // The HTTP server (server.ts) verifies every request's signature and freshness before it
      // hands the request over, and is the only way in; a second HMAC per request is waste.
      signatureVerification: false,
    });
    receiver = http;
  }
  const authorize = botIdentity(input.clients.client, settings.botToken);
  const app = new App({
    authorize,
    receiver,
    logger,
    // dpbot keeps no conversation state in Bolt; its store would be consulted on every request.
    convoStore: false,
    clientOptions: {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      fetch: countedFetch(surface.metrics, 'slack'),
    },
  });
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });
  const deps: SlackDeps = {
    metrics: surface.metrics,
    identity: surface.identity,
    audit: surface.audit,
    pipeline: input.pipeline,
    notifier: input.clients.notifier,
    profiles: input.clients.profiles,
    optionProviders: new Map(
      input.capabilities.flatMap((c) => c.optionProviders).map((p) => [p.actionId, p]),
    ),
    homePanels: input.capabilities.flatMap((c) => c.homePanels),
    command: config.slack.command,
    ackDeadlineMs: config.slack.ackDeadline,
    log,
  };
  registerCommand(app, deps);
  // A name no Slack workspace can send (it is made up at each start, and a request for it must
  // be signed with this app's secret). Sent as someone who used dpbot in the last day, it
  // rehearses their `whoami` (pipeline/rehearsal.ts: no audit row, count, log line or message;
  // no trace either, since tracing ignores the warm-up's requests and everything they lead to);
  // otherwise it is acknowledged with nothing, and nothing else is done.
  const warmUpCommand = `/dpbot-warm-up-${randomUUID()}`;
  let rehearseAs: string | undefined;
  // The rehearsals under way (each goes on after its acknowledgement, to its reply), and how many
  // reached their reply, which stops here.
  const rehearsals = new Set<Promise<void>>();
  let rehearsed = 0;
  const rehearse = commandListener({
    pipeline: input.pipeline.rehearsal(),
    notifier: notifiesNoOne,
    ackDeadlineMs: deps.ackDeadlineMs,
    metrics: { acknowledged() {} },
    log: log.child({}, { level: 'silent' }),
  });
  app.command(warmUpCommand, async (args) => {
    if (
      rehearseAs === undefined ||
      args.command.user_id !== rehearseAs ||
      args.command.text !== REHEARSED_COMMAND
    )
      return args.ack();
    // Where Slack's response_url would take the reply: counted, and sent nowhere. With no
    // channel, a reply the response_url could not take would go to the notifier, which refuses,
    // rather than to chat.postEphemeral.
    const respond: RespondFn = async () => {
      rehearsed++;
      return new Response(null, { status: 200 });
    };
    const run = rehearse({ ...args, respond, command: { ...args.command, channel_id: '' } });
    rehearsals.add(run);
    try {
      await run;
    } finally {
      rehearsals.delete(run);
    }
  });
  registerActions(app, deps);
  registerViews(app, deps);
  registerOptions(app, deps);
  registerEvents(app, deps);
  return {
    app,
    http,
    warm: async () => {
      // Bolt passes the source of the request; the identity asked for does not depend on it.
      await authorize({ teamId: undefined, enterpriseId: undefined, isEnterpriseInstall: false });
    },
    warmRequestPath: async (url, as) => {
      if (!http || !settings.signingSecret) return;
      rehearseAs = as;
      rehearsed = 0;
      try {
        await warmRequests(url, settings.signingSecret, warmUpCommand, log, as);
        await Promise.allSettled([...rehearsals]);
      } finally {
        rehearseAs = undefined;
      }
      if (as) log.debug({ rehearsed }, `rehearsed ${REHEARSED_COMMAND} on the request path`);
    },
    start: async () => {
      if (settings.appToken) await app.start();
    },
    stop: async () => {
      if (settings.appToken) await app.stop();
      await input.clients.notifier.flush();
    },
  };
}
