import type { Readable, Writable } from 'node:stream';
import type { Command as Program } from 'commander';
import type { Logger } from 'pino';
import type { Env } from '../../core/config/secrets.ts';
import { createLogger } from '../../core/logger.ts';
import { type LoadedConfig, loadConfig } from '../config/loadConfig.ts';

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
export class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/** What every command of the `dpbot` program shares: its streams and the global options. */
export interface Cli {
  io: CliIo;
  /** A line on standard output. */
  out(text: string): void;
  /** A line on standard error. */
  err(text: string): void;
  /** The configuration `--config` (or the defaults) names, loaded when a command runs. */
  config(): LoadedConfig;
  /** LOG_LEVEL wins, then the command's own level, then the configuration's. */
  logger(loaded: LoadedConfig, level?: string): Logger;
}

export function cliContext(program: Program, io: CliIo): Cli {
  const err = (text: string) => {
    io.stderr.write(`${text}\n`);
  };
  return {
    io,
    out: (text) => {
      io.stdout.write(`${text}\n`);
    },
    err,
    config: () => {
      const opts = program.opts<{ config?: string }>();
      const loaded = loadConfig({ ...(opts.config ? { path: opts.config } : {}), env: io.env, cwd: io.cwd });
      if (loaded.isExample) err(`dpbot: no dpbot.yaml here; using the example configuration ${loaded.path}`);
      return loaded;
    },
    logger: (loaded, level) => createLogger(io.env.LOG_LEVEL ?? level ?? loaded.config.log.level),
  };
}

/**
 * How the person typed this program, so that the commands it tells them to run next run as
 * printed: `npm run dpbot --` from a checkout (npm names the script it runs in
 * npm_lifecycle_event), `dpbot` when the installed binary was run.
 */
export function selfCommand(env: Env): { dpbot: string; start: string } {
  return env.npm_lifecycle_event === 'dpbot'
    ? { dpbot: 'npm run dpbot --', start: 'npm start' }
    : { dpbot: 'dpbot', start: 'dpbot start' };
}
