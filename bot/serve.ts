import type { Logger } from 'pino';
import type { Env } from '../core/config/secrets.ts';
import { createMetrics } from '../core/metrics.ts';
import type { Command } from '../pipeline/defineCommand.ts';
import { type App, createApp } from './app.ts';
import type { LoadedConfig } from './config/loadConfig.ts';
import { withSandboxAdmin } from './sandbox/admin.ts';
import { sandboxStateDir, startSandbox } from './sandbox/index.ts';
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
  /** With `sandbox: true`: the e-mail of the Slack user who gets the data-platform grants. */
  admin?: string;
}): Promise<RunningBot> {
  const { log, settings } = input;
  // `sandbox: true` with a real Slack workspace: Slack is real, everything behind it simulated.
  const sandbox = input.loaded.config.sandbox
    ? await startSandbox(input.loaded.config, undefined, {
        stateDir: sandboxStateDir(input.loaded, input.env),
      })
    : undefined;
  const admin =
    sandbox && input.admin ? withSandboxAdmin(sandbox.config, input.loaded.baseDir, input.admin) : undefined;
  const loaded = sandbox ? { ...input.loaded, config: admin?.config ?? sandbox.config } : input.loaded;
  const env = sandbox ? { ...sandbox.env, ...input.env } : input.env;
  if (sandbox) {
    log.info(
      { simulated: sandbox.names, admin: input.admin ?? null },
      `sandbox: changes go to simulated systems (${sandbox.names.join(', ')} on 127.0.0.1), not to real ones`,
    );
    if (!input.admin)
      log.warn("sandbox: no --admin <email>, so only the sandbox directory's people may run commands");
  }
  const released = async () => {
    admin?.remove();
    await sandbox?.stop();
  };
  const metrics = createMetrics();
  const clients = createSlackClients(settings, loaded.config, log, metrics);
  let app: App;
  try {
    app = await createApp({
      metrics,
      loaded,
      env,
      log,
      runWorkers: true,
      notifier: clients.notifier,
      slackProfiles: clients.profiles,
      ...(input.extraCommands ? { extraCommands: input.extraCommands } : {}),
    });
  } catch (error) {
    await released();
    throw error;
  }
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
    await released();
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
      await released();
    },
  };
}
