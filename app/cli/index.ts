import { Command as Program } from 'commander';
import { ConfigError, errorMessage, InputError } from '../../core/errors.ts';
import { registerAudit } from './audit.ts';
import { registerConfig } from './config.ts';
import { registerConsole } from './console.ts';
import { type CliIo, cliContext, Exit } from './context.ts';
import { registerDoctor } from './doctor.ts';
import { registerInit } from './init.ts';
import { registerMigrate } from './migrate.ts';
import { registerPolicies } from './policies.ts';
import { registerStart } from './start.ts';
import { registerSync } from './sync.ts';

export type { CliIo } from './context.ts';

/**
 * The `dpbot` command line, one file per command. Returns the exit code instead of calling
 * process.exit, so tests can run it in-process and `bin/dpbot.ts` stays a few lines.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Program('dpbot')
    .description('ChatOps and release management for data-platform teams')
    .option(
      '-c, --config <path>',
      'configuration file (default: $DPBOT_CONFIG, ./dpbot.yaml, or the bundled example)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const cli = cliContext(program, io);

  // In this order, as `dpbot --help` lists them.
  registerStart(program, cli);
  registerConsole(program, cli);
  registerMigrate(program, cli);
  registerInit(program, cli);
  registerConfig(program, cli);
  registerDoctor(program, cli);
  registerPolicies(program, cli);
  registerAudit(program, cli);
  registerSync(program, cli);

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
      cli.err(`dpbot: configuration problem in ${error.message}`);
      return 1;
    }
    if (error instanceof InputError) {
      cli.err(`dpbot: ${error.message}`);
      return 2;
    }
    cli.err(`dpbot: ${errorMessage(error)}`);
    return 1;
  }
}
