import type { Logger } from 'pino';
import { type RunningServer, startHttpServer } from '../bot/server.ts';
import { postgresShown } from '../bot/slack/sharedShown.ts';
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
import { memoryCompaction } from '../core/memoryCompaction.ts';
import { createMetrics, type Metrics } from '../core/metrics.ts';
import type { Command } from '../pipeline/defineCommand.ts';
import { type App, createApp } from './app.ts';
import type { LoadedConfig } from './config/loadConfig.ts';
import { pointedAtSimulators } from './doctor/doctor.ts';
import { type StartupDoctor, startupDoctor } from './doctor/startupDoctor.ts';
import type { RunningSandbox } from './sandbox/index.ts';
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

export interface ServeInput {
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
}

/**
 * dpbot serving Slack: the app (database, stores, workers), the Bolt listeners, and the HTTP
 * server (Slack requests in HTTP mode, health and readiness in both modes).
 */
export async function serveSlack(input: ServeInput): Promise<RunningBot> {
  const { log, settings } = input;
  refuseAdminOfRealDirectory(input);
  const target = await startTarget(input);
  const metrics = createMetrics();
  const clients = createSlackClients(settings, target.loaded.config, log, metrics);
  const app = await createServingApp(input, target, clients, metrics);
  // Slack's budgets are the app's, not the process's: every replica takes its turns from one, and
  // knows what the others left each message showing.
  clients.notifier.shareBudget(postgresBudget(app.services.pool), postgresShown(app.services.pool, log));
  // Every permission checked once, in the background: the log says what is missing, /readyz shows it.
  const doctor = startupDoctor({
    config: target.loaded.config,
    configDir: target.loaded.baseDir,
    env: target.env,
    log,
    simulated: target.sandbox ? pointedAtSimulators(input.loaded.config, target.loaded.config) : new Set(),
    database: app.database,
  });
  // With --expose-gc (the image and `npm start`), what the start's garbage left behind is given
  // back before ready, and again after bursts once the process is quiet.
  const compaction = memoryCompaction({
    collect: globalThis.gc,
    log,
    onCompacted: (reason, seconds) => metrics.memoryCompacted(reason, seconds),
  });
  let running: { server: RunningServer; slack: SlackRuntime };
  try {
    running = await startSurfaces(input, target, app, clients, doctor, compaction.afterStart);
  } catch (error) {
    compaction.close();
    await app.close();
    await target.release();
    throw error;
  }
  log.info(
    { port: running.server.port, mode: settings.appToken ? 'socket' : 'http' },
    settings.appToken ? 'serving Slack over Socket Mode' : 'serving Slack at POST /slack/events',
  );
  return {
    app,
    doctor,
    ...running,
    stop: async (options: { drainMs?: number } = {}) => {
      // Stop taking requests, let the ones in progress finish (their outcomes are audited), then
      // stop the job workers and close the database.
      compaction.close();
      await running.server.close();
      await running.slack.stop();
      const drained = await app.pipeline.drain(options.drainMs ?? 25_000);
      if (!drained) log.warn({ inflight: app.pipeline.inflight }, 'stopping with requests still in progress');
      await app.close();
      await target.release();
    },
  };
}

/** The app with its workers, posting through Slack; a failure stops the simulators. */
async function createServingApp(
  input: ServeInput,
  target: Target,
  clients: ReturnType<typeof createSlackClients>,
  metrics: Metrics,
): Promise<App> {
  try {
    return await createApp({
      metrics,
      loaded: target.loaded,
      env: target.env,
      log: input.log,
      runWorkers: true,
      notifier: clients.notifier,
      slackProfiles: clients.profiles,
      ...(input.extraCommands ? { extraCommands: input.extraCommands } : {}),
      ...(target.sandbox && target.simulated.directory
        ? { extend: sandboxAdministration({ admin: input.admin, firstUser: target.firstUser }) }
        : {}),
    });
  } catch (error) {
    await target.release();
    throw error;
  }
}

/** A real directory says who people are: nobody is made administrator by a flag. */
function refuseAdminOfRealDirectory(input: ServeInput): void {
  if (input.admin && !input.loaded.config.sandbox.directory)
    throw new ConfigError(input.loaded.path, [
      `--admin ${input.admin}: the directory is real (sandbox.directory: false), so people and their groups come from it; grant the administrator in ${input.loaded.config.access.policies}/ instead`,
    ]);
}

/** What dpbot serves against: the configured systems, with the simulated ones started here. */
interface Target {
  /** The configuration, pointed at the simulators when any system is simulated. */
  loaded: LoadedConfig;
  /** The environment, with the simulators' tokens for the systems they stand in for. */
  env: Env;
  /** Which systems the configuration marks simulated. */
  simulated: LoadedConfig['config']['sandbox'];
  sandbox: RunningSandbox | undefined;
  /** Every system simulated and no --admin: the first person to run a command gets the grants. */
  firstUser: boolean;
  /** Stops the simulators, if any were started. */
  release(): Promise<void>;
}

/**
 * Starts the simulators of the systems the configuration marks simulated (a real Slack workspace
 * in front of the sandbox: Slack is real, the simulated systems behind it are not), and says so.
 */
async function startTarget(input: ServeInput): Promise<Target> {
  const simulated = input.loaded.config.sandbox;
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
  if (sandbox) announceSandbox(input, sandbox, firstUser);
  return {
    loaded,
    env,
    simulated,
    sandbox,
    firstUser,
    release: async () => {
      await sandbox?.stop();
    },
  };
}

function announceSandbox(input: ServeInput, sandbox: RunningSandbox, firstUser: boolean): void {
  const { log, admin } = input;
  const simulated = input.loaded.config.sandbox;
  log.info(
    {
      simulated: simulatedSystems(simulated),
      real: realSystems(simulated),
      parts: sandbox.names,
      admin: admin ?? null,
    },
    sandbox.note ?? 'sandbox',
  );
  if (firstUser)
    log.warn(
      'sandbox: no --admin <email>, so the first person in this Slack workspace to run a command becomes the installer, with the data-platform grants',
    );
  else if (!admin && simulated.directory)
    log.warn(
      "sandbox: no --admin <email>, so only the sandbox directory's people may run commands (with a real system connected, nobody is made administrator by coming first)",
    );
}

/**
 * The Bolt app and the HTTP server in front of it, warmed before it listens; a failure closes what
 * was started (the caller closes the app).
 */
async function startSurfaces(
  input: ServeInput,
  target: Target,
  app: App,
  clients: ReturnType<typeof createSlackClients>,
  doctor: StartupDoctor,
  /** Run once the start's own work is done, before the request path is warmed and ready. */
  started: () => void,
): Promise<{ server: RunningServer; slack: SlackRuntime }> {
  const { log, settings } = input;
  let server: RunningServer | undefined;
  try {
    if (target.firstUser) {
      const installer = await app.services.once.holder(INSTALLER_KEY);
      if (installer)
        log.info(
          { installer: installer.by, since: installer.at },
          `sandbox: the installer is ${installer.by}`,
        );
    }
    const slack = createSlackRuntime({
      settings,
      deps: slackSurfaceDeps(app.services),
      capabilities: app.capabilities,
      pipeline: app.pipeline,
      clients,
      log,
    });
    // The start's garbage given back first: the memory-reducing collection also drops compiled
    // code, which the warm-ups below then compile again.
    started();
    // Before listening, so that ready means warm: a deploy's first user does not pay for it.
    const { recentCaller } = await warmUp({
      pool: app.services.pool,
      identity: app.services.identity,
      slack,
      log,
    });
    app.pipeline.warm();
    let warming = true;
    server = await startHttpServer({
      port: input.port ?? target.loaded.config.server.port,
      ...(input.host ? { host: input.host } : {}),
      deps: serverDeps(app.services),
      log,
      doctor: doctor.status,
      warmingUp: () => warming,
      ...(slack.http && settings.signingSecret
        ? { slack: { receiver: slack.http, signingSecret: settings.signingSecret } }
        : {}),
    });
    // Not ready until the request path has run once: the first person is answered as fast as the next.
    await slack.warmRequestPath(server.url, recentCaller);
    warming = false;
    await slack.start();
    return { server, slack };
  } catch (error) {
    await server?.close();
    throw error;
  }
}
