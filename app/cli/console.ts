import type { Command as Program } from 'commander';
import { runConsole } from '../../bot/console/console.ts';
import { ConsoleSurface } from '../../bot/console/consoleSurface.ts';
import { anySimulated } from '../../core/config/sandbox.ts';
import { ConfigError } from '../../core/errors.ts';
import type { AccessStore } from '../../db/stores/accessStore.ts';
import { personName } from '../../pipeline/people.ts';
import { type App, createApp } from '../app.ts';
import type { LoadedConfig } from '../config/loadConfig.ts';
import type { Cli } from './context.ts';

/**
 * A console session as `as` (default: console.as), with the simulators started first when the
 * configuration asks for the sandbox. `start` opens one too when Slack is not configured.
 */
export async function consoleSession(cli: Cli, loaded: LoadedConfig, as: string | undefined): Promise<void> {
  const { io } = cli;
  const user = as ?? loaded.config.console.as;
  if (!user) {
    throw new ConfigError(loaded.path, ['console.as: set the user to act as, or pass --as <email>']);
  }
  const interactive = Boolean(io.stdin.isTTY);
  const log = cli.logger(loaded, interactive ? 'warn' : undefined);
  const sandbox = anySimulated(loaded.config.sandbox)
    ? await import('../sandbox/index.ts').then(({ startSandbox, sandboxStateDir }) =>
        startSandbox(loaded.config, undefined, { stateDir: sandboxStateDir(loaded, io.env) }),
      )
    : undefined;
  // The machine's time zone (TZ when set), said once when the session starts.
  const timeZone = io.env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone;
  let access: App['services']['access'] | undefined;
  const surface = new ConsoleSurface(io.stdout, {
    timeZone,
    nameOf: async (slackUserId) => {
      const user = await access?.findUser({ slackUserId });
      return user ? personName(user) : undefined;
    },
  });
  if (sandbox?.note && interactive) cli.out(`${sandbox.note}.`);
  let app: App;
  try {
    app = await createApp({
      loaded: sandbox ? { ...loaded, config: sandbox.config } : loaded,
      env: sandbox ? sandbox.envFor(io.env) : io.env,
      log,
      runWorkers: true,
      notifier: surface.notifier(),
    });
  } catch (error) {
    await sandbox?.stop();
    throw error;
  }
  access = app.services.access;
  try {
    await runConsole({
      pipeline: app.pipeline,
      as: user,
      input: io.stdin,
      output: io.stdout,
      surface,
      interactive,
      people: directoryPeople(app.services.access),
      timeZone,
    });
  } finally {
    await app.close();
    await sandbox?.stop();
  }
}

/** Whom a word names in the directory, for `.as`: an e-mail someone has, or the people of that name. */
export function directoryPeople(
  access: Pick<AccessStore, 'findUser' | 'usersNamed'>,
): (word: string) => Promise<string[]> {
  return async (word) => {
    if (word.includes('@')) return (await access.findUser({ email: word })) ? [word] : [];
    return (await access.usersNamed(word)).map((u) => u.email);
  };
}

/** `dpbot console [--as <email>]` */
export function registerConsole(program: Program, cli: Cli): void {
  program
    .command('console')
    .description('run commands in the terminal as a directory user, through the same pipeline as Slack')
    .option('--as <email>', 'the user to act as (default: console.as in the configuration)')
    .action(async (opts: { as?: string }) => {
      await consoleSession(cli, cli.config(), opts.as);
    });
}
