import type { Logger } from 'pino';
import type { Env } from '../core/config/secrets.ts';
import { createMetrics } from '../core/metrics.ts';
import type { Command } from '../pipeline/defineCommand.ts';
import { type App, createApp } from './app.ts';
import type { LoadedConfig } from './config/loadConfig.ts';
import { type RunningServer, startHttpServer } from './server.ts';
import {
  createSlackClients,
  createSlackRuntime,
  type SlackRuntime,
  type SlackSettings,
} from './slack/slackApp.ts';

export interface RunningBot {
  app: App;
  server: RunningServer;
  slack: SlackRuntime;
  stop(options?: { drainMs?: number }): Promise<void>;
}

/**
 * dpbot serving Slack: the app (database, stores, workers), the Bolt listeners, and the HTTP
 * server (Slack requests in HTTP mode, health and readiness in both modes).
 */
export async function serveSlack(input: {
  loaded: LoadedConfig;
  env: Env;
  log: Logger;
  settings: SlackSettings;
  /** Overrides server.port (tests use 0 for a free port). */
  port?: number;
  /** Commands besides dpbot's own (tests exercise the Slack surface with fixtures). */
  extraCommands?: Command[];
  host?: string;
}): Promise<RunningBot> {
  const { loaded, env, log, settings } = input;
  const metrics = createMetrics();
  const clients = createSlackClients(settings, loaded.config, log, metrics);
  const app = await createApp({
    metrics,
    loaded,
    env,
    log,
    runWorkers: true,
    notifier: clients.notifier,
    slackProfiles: clients.profiles,
    ...(input.extraCommands ? { extraCommands: input.extraCommands } : {}),
  });
  let slack: SlackRuntime | undefined;
  let server: RunningServer | undefined;
  try {
    slack = createSlackRuntime({
      settings,
      services: app.services,
      capabilities: app.capabilities,
      pipeline: app.pipeline,
      clients,
      log,
    });
    server = await startHttpServer({
      port: input.port ?? loaded.config.server.port,
      ...(input.host ? { host: input.host } : {}),
      services: app.services,
      log,
      ...(slack.http && settings.signingSecret
        ? { slack: { receiver: slack.http, signingSecret: settings.signingSecret } }
        : {}),
    });
    await slack.start();
  } catch (error) {
    await server?.close();
    await app.close();
    throw error;
  }
  log.info(
    { port: server.port, mode: settings.appToken ? 'socket' : 'http' },
    settings.appToken ? 'serving Slack over Socket Mode' : 'serving Slack at POST /slack/events',
  );
  const running = { server, slack };
  return {
    app,
    ...running,
    stop: async (options: { drainMs?: number } = {}) => {
      // Stop taking requests, let the ones in progress finish (their outcomes are audited), then
      // stop the job workers and close the database.
      await running.server.close();
      await running.slack.stop();
      const drained = await app.pipeline.drain(options.drainMs ?? 25_000);
      if (!drained) log.warn({ inflight: app.pipeline.inflight }, 'stopping with requests still in progress');
      await app.close();
    },
  };
}
