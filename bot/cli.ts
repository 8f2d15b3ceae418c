import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, Option, Command as Program } from 'commander';
import { stringify as csvStringify } from 'csv-stringify/sync';
import type { Logger } from 'pino';
import type { Env } from '../core/config/secrets.ts';
import { ConfigError, errorMessage, InputError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { parseSince } from '../core/time.ts';
import { PgAccessStore } from '../db/stores/accessStore.ts';
import { PgAuditStore } from '../db/stores/auditStore.ts';
import { syncDirectorySources, syncResultLines } from '../handlers/directory/syncRunner.ts';
import { checkPolicies } from '../policies/policyFiles.ts';
import { type App, applyPolicies, buildRegistry, createApp, openMigratedDatabase } from './app.ts';
import { type LoadedConfig, loadConfig, resolveConfigRelative } from './config/loadConfig.ts';
import { runConsole } from './console/console.ts';
import { ConsoleSurface } from './console/consoleSurface.ts';
import { startSandbox } from './sandbox/index.ts';
import { serveSlack } from './serve.ts';
import { slackSettings } from './slack/slackApp.ts';

/** Resolves on the first SIGTERM or SIGINT (or when the given promise settles, for tests). */
function untilSignal(signals: CliIo['signals']): Promise<void> {
  if (signals) return signals;
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: Env;
  cwd: string;
  /** Settles when a long-running command should stop; default: SIGTERM or SIGINT. */
  signals?: Promise<void>;
}

/** Thrown to end a command with an exit code after its output is written. */
class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/**
 * The `dpbot` command line. Returns the exit code instead of calling process.exit, so tests can
 * run it in-process and `bin/dpbot.ts` stays a few lines.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const program = new Program('dpbot')
    .description('ChatOps and release management for data-platform teams')
    .option(
      '-c, --config <path>',
      'configuration file (default: $DPBOT_CONFIG, ./dpbot.yaml, or the bundled example)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const config = (): LoadedConfig => {
    const opts = program.opts<{ config?: string }>();
    const loaded = loadConfig({ ...(opts.config ? { path: opts.config } : {}), env: io.env, cwd: io.cwd });
    if (loaded.isExample) err(`dpbot: no dpbot.yaml here; using the example configuration ${loaded.path}`);
    return loaded;
  };
  const logger = (loaded: LoadedConfig, level?: string): Logger =>
    createLogger(io.env.LOG_LEVEL ?? level ?? loaded.config.log.level);

  program
    .command('start')
    .description('start dpbot: serve Slack when SLACK_BOT_TOKEN is set, otherwise open the local console')
    .action(async () => {
      const loaded = config();
      const settings = slackSettings(io.env);
      if (!settings) {
        err(
          'dpbot: no SLACK_BOT_TOKEN, so no Slack: opening the local console instead (see README, "Connect Slack").',
        );
        await consoleSession(loaded, undefined);
        return;
      }
      const log = logger(loaded);
      const bot = await serveSlack({ loaded, env: io.env, log, settings });
      await untilSignal(io.signals);
      log.info('shutting down');
      await bot.stop();
    });

  program
    .command('console')
    .description('run commands in the terminal as a directory user, through the same pipeline as Slack')
    .option('--as <email>', 'the user to act as (default: console.as in the configuration)')
    .action(async (opts: { as?: string }) => {
      await consoleSession(config(), opts.as);
    });

  const consoleSession = async (loaded: LoadedConfig, as: string | undefined) => {
    const user = as ?? loaded.config.console.as;
    if (!user) {
      throw new ConfigError(loaded.path, ['console.as: set the user to act as, or pass --as <email>']);
    }
    const interactive = Boolean(io.stdin.isTTY);
    const log = logger(loaded, interactive ? 'warn' : undefined);
    const sandbox = loaded.config.sandbox ? await startSandbox(loaded.config) : undefined;
    const surface = new ConsoleSurface(io.stdout);
    if (sandbox && interactive)
      out(`Sandbox: simulated ${sandbox.names.join(', ') || 'nothing yet'} on 127.0.0.1.`);
    let app: App;
    try {
      app = await createApp({
        loaded: sandbox ? { ...loaded, config: sandbox.config } : loaded,
        env: sandbox ? { ...sandbox.env, ...io.env } : io.env,
        log,
        runWorkers: true,
        notifier: surface.notifier(),
      });
    } catch (error) {
      await sandbox?.stop();
      throw error;
    }
    try {
      await runConsole({
        pipeline: app.pipeline,
        as: user,
        input: io.stdin,
        output: io.stdout,
        surface,
        interactive,
      });
    } finally {
      await app.close();
      await sandbox?.stop();
    }
  };

  program
    .command('migrate')
    .description('apply the database migrations (start does this too); safe to run from several processes')
    .action(async () => {
      const loaded = config();
      const log = logger(loaded);
      const database = await openMigratedDatabase(loaded, io.env, log);
      await database.close();
      out('Database migrations are up to date.');
    });

  const configCmd = program.command('config').description('configuration tools');
  configCmd
    .command('check')
    .description('validate the configuration file and report every problem with its path')
    .action(() => {
      const loaded = config();
      out(`${loaded.path}: OK`);
    });

  const policies = program.command('policies').description('authorization policy tools');
  policies
    .command('check')
    .description(
      'validate policies/*.yaml: unknown actions and malformed patterns are errors, unknown groups warnings',
    )
    .option('--offline', 'do not open the database to look up groups and users')
    .action(async (opts: { offline?: boolean }) => {
      const loaded = config();
      const dir = resolveConfigRelative(loaded, loaded.config.access.policies);
      const registry = buildRegistry([], loaded.config);
      let known: { groups: Set<string>; users: Set<string> } | undefined;
      if (!opts.offline) {
        const database = await openMigratedDatabase(loaded, io.env, logger(loaded, 'warn'));
        try {
          known = await new PgAccessStore(database.db).knownNames();
        } finally {
          await database.close();
        }
      }
      const check = checkPolicies(dir, registry.catalog, known, loaded.baseDir);
      for (const e of check.errors) err(`error: ${e}`);
      for (const w of check.warnings) err(`warning: ${w}`);
      out(
        `${check.files.length} policy file(s), ${check.grants.length} valid grant(s), ${check.errors.length} error(s), ${check.warnings.length} warning(s)`,
      );
      if (check.errors.length > 0) throw new Exit(1);
    });

  policies
    .command('apply')
    .description('apply policies/*.yaml to the database now (start does this too)')
    .action(async () => {
      const loaded = config();
      const log = logger(loaded);
      const app = await createApp({ loaded, env: io.env, log });
      try {
        const result = await applyPolicies(app.services, loaded);
        out(
          result.changed
            ? `Applied ${result.count} grant(s).`
            : `No change: ${result.count} grant(s) already applied.`,
        );
      } finally {
        await app.close();
      }
    });

  const auditCmd = program.command('audit').description('audit log tools');
  auditCmd
    .command('verify')
    .description('recompute the hash chain and report the first broken link')
    .action(async () => {
      const loaded = config();
      const database = await openMigratedDatabase(loaded, io.env, logger(loaded, 'warn'));
      try {
        const result = await new PgAuditStore(database.db).verify();
        if (result.ok) out(`Audit log intact: ${result.rows} row(s), every link verified.`);
        else {
          out(
            `Audit log BROKEN at row ${result.brokenAt}: ${result.problem} (${result.rows} row(s) checked)`,
          );
          throw new Exit(1);
        }
      } finally {
        await database.close();
      }
    });
  auditCmd
    .command('export')
    .description('write audit rows to stdout, oldest first')
    .requiredOption('--since <when>', 'a duration (7d, 24h) or a date (2026-11-01)', (v: string) => {
      try {
        return parseSince(v, new Date());
      } catch (error) {
        throw new InvalidArgumentError(errorMessage(error));
      }
    })
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .action(async (opts: { since: Date; format: 'jsonl' | 'csv' }) => {
      const loaded = config();
      const database = await openMigratedDatabase(loaded, io.env, logger(loaded, 'warn'));
      try {
        let header = opts.format === 'csv';
        const count = await new PgAuditStore(database.db).export(opts.since, (rows) => {
          if (opts.format === 'jsonl') {
            io.stdout.write(
              rows
                .map((r) => JSON.stringify(r))
                .join('\n')
                .concat('\n'),
            );
            return;
          }
          const records = rows.map((r) => ({
            ...r,
            at: r.at.toISOString(),
            args: r.args === null ? '' : JSON.stringify(r.args),
            grantRef: r.grantRef === null ? '' : JSON.stringify(r.grantRef),
            detail: r.detail === null ? '' : JSON.stringify(r.detail),
          }));
          io.stdout.write(csvStringify(records, { header }));
          header = false;
        });
        err(`${count} row(s) exported`);
      } finally {
        await database.close();
      }
    });

  program
    .command('sync')
    .description('sync groups and memberships from the directory sources now, and print the difference')
    .option('--source <name>', 'only this source')
    .option('--dry-run', 'show the difference without applying it')
    .option('--force', 'apply even a mass removal or an empty answer that the guards would refuse')
    .action(async (opts: { source?: string; dryRun?: boolean; force?: boolean }) => {
      const loaded = config();
      if (opts.source && !loaded.config.directory.sources.some((s) => s.name === opts.source)) {
        throw new InputError(
          `there is no directory source "${opts.source}" (configured: ${loaded.config.directory.sources.map((s) => s.name).join(', ') || 'none'})`,
        );
      }
      const app = await createApp({ loaded, env: io.env, log: logger(loaded, 'warn'), syncOnStart: false });
      try {
        const results = await syncDirectorySources(app.services, {
          ...(opts.source ? { source: opts.source } : {}),
          trigger: 'cli',
          entry: 'cli',
          dryRun: opts.dryRun ?? false,
          force: opts.force ?? false,
        });
        for (const result of results) for (const line of syncResultLines(result)) out(line);
        if (results.some((r) => r.status === 'failed' || r.status === 'refused')) throw new Exit(1);
      } finally {
        await app.close();
      }
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof Exit) return error.code;
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
      // commander already printed its message (usage errors, --help).
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      err(`dpbot: configuration problem in ${error.message}`);
      return 1;
    }
    if (error instanceof InputError) {
      err(`dpbot: ${error.message}`);
      return 2;
    }
    err(`dpbot: ${errorMessage(error)}`);
    return 1;
  }
}
