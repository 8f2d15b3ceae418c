import type { Logger } from 'pino';
import { type RunningServer, startHttpServer } from '../bot/server.ts';
import {
  createSlackClients,
  createSlackRuntime,
  type SlackRuntime,
  type SlackSettings,
} from '../bot/slack/slackApp.ts';
import { postgresBudget } from '../bot/slack/slackBudget.ts';
import { warmUp } from '../bot/slack/warmUp.ts';
import { anySimulated, realSystems, simulatedSystems } from '../core/config/sandbox.ts';
import type { Env } from '../core/config/secrets.ts';
import { ConfigError } from '../core/errors.ts';
import { createMetrics } from '../core/metrics.ts';
import type { Command } from '../pipeline/defineCommand.ts';
import { type App, createApp } from './app.ts';
import type { LoadedConfig } from './config/loadConfig.ts';
import { pointedAtSimulators } from './doctor/doctor.ts';
import { type StartupDoctor, startupDoctor } from './doctor/startupDoctor.ts';
import { INSTALLER_KEY, sandboxAdministration } from './sandbox/installer.ts';
import { serverDeps, slackSurfaceDeps } from './wiring/surfaces.ts';

export interface RunningBot {
  app: App;
  server: RunningServer;
  slack: SlackRuntime;
  /** `dpbot doctor` in short form, started once the app is built. */
  doctor: StartupDoctor;
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
  /**
   * With a simulated directory: the e-mail of the Slack user who gets the data-platform grants.
   * Unset, with every system simulated: the first person to run a command (app/sandbox/installer.ts).
   */
  admin?: string;
  /**
   * Changes the configuration once the sandbox has pointed it at its simulators: tests shorten the
   * waits the sandbox sets for people watching (release settle and poll times).
   */
  tune?: (config: LoadedConfig['config']) => void;
}): Promise<RunningBot> {
  const { log, settings } = input;
  const simulated = input.loaded.config.sandbox;
  if (input.admin && !simulated.directory)
    throw new ConfigError(input.loaded.path, [
      `--admin ${input.admin}: the directory is real (sandbox.directory: false), so people and their groups come from it; grant the administrator in ${input.loaded.config.access.policies}/ instead`,
    ]);
  // A real Slack workspace in front of the sandbox: Slack is real, the simulated systems behind it are not.
  // Loaded only when something is simulated: with every system real, the simulators and their
  // demo data would be memory a serving process keeps for nothing.
  const sandbox = anySimulated(simulated)
    ? await import('./sandbox/index.ts').then(({ startSandbox, sandboxStateDir }) =>
        startSandbox(input.loaded.config, undefined, {
          stateDir: sandboxStateDir(input.loaded, input.env),
        }),
      )
    : undefined;
  const loaded = sandbox ? { ...input.loaded, config: sandbox.config } : input.loaded;
  input.tune?.(loaded.config);
  const env = sandbox ? sandbox.envFor(input.env) : input.env;
  // Handing the data-platform grants to whoever comes first is for a sandbox that can change
  // nothing real; with any real system, the administrator is named.
  const firstUser = !input.admin && realSystems(simulated).length === 0;
  if (sandbox) {
    log.info(
      {
        simulated: simulatedSystems(simulated),
        real: realSystems(simulated),
        parts: sandbox.names,
        admin: input.admin ?? null,
      },
      sandbox.note ?? 'sandbox',
    );
    if (firstUser)
      log.warn(
        'sandbox: no --admin <email>, so the first person in this Slack workspace to run a command becomes the installer, with the data-platform grants',
      );
    else if (!input.admin && simulated.directory)
      log.warn(
        "sandbox: no --admin <email>, so only the sandbox directory's people may run commands (with a real system connected, nobody is made administrator by coming first)",
      );
  }
  const released = async () => {
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
      ...(sandbox && simulated.directory
        ? { extend: sandboxAdministration({ admin: input.admin, firstUser }) }
        : {}),
    });
  } catch (error) {
    await released();
    throw error;
  }
  // Slack's budgets are the app's, not the process's: every replica takes its turns from one.
  clients.notifier.shareBudget(postgresBudget(app.services.pool));
  // Every permission checked once, in the background: the log says what is missing, /readyz shows it.
  const doctor = startupDoctor({
    config: loaded.config,
    configDir: loaded.baseDir,
    env,
    log,
    simulated: sandbox ? pointedAtSimulators(input.loaded.config, loaded.config) : new Set(),
    database: app.database,
  });
  let slack: SlackRuntime | undefined;
  let server: RunningServer | undefined;
  try {
    if (firstUser) {
      const installer = await app.services.once.holder(INSTALLER_KEY);
      if (installer)
        log.info(
          { installer: installer.by, since: installer.at },
          `sandbox: the installer is ${installer.by}`,
        );
    }
    slack = createSlackRuntime({
      settings,
      deps: slackSurfaceDeps(app.services),
      capabilities: app.capabilities,
      pipeline: app.pipeline,
      clients,
      log,
    });
    // Before listening, so that ready means warm: a deploy's first user does not pay for it.
    await warmUp({ pool: app.services.pool, identity: app.services.identity, slack, log });
    server = await startHttpServer({
      port: input.port ?? loaded.config.server.port,
      ...(input.host ? { host: input.host } : {}),
      deps: serverDeps(app.services),
      log,
      doctor: doctor.status,
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
    doctor,
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
