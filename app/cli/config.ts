import type { Command as Program } from 'commander';
import type { Cli } from './context.ts';

/** `dpbot config check` */
export function registerConfig(program: Program, cli: Cli): void {
  const configCmd = program.command('config').description('configuration tools');
  configCmd
    .command('check')
    .description('validate the configuration file and report every problem with its path')
    .action(() => {
      const loaded = cli.config();
      cli.out(`${loaded.path}: OK`);
    });
}
