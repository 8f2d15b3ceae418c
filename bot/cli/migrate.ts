import type { Command as Program } from 'commander';
import { openMigratedDatabase } from '../app.ts';
import type { Cli } from './context.ts';

/** `dpbot migrate` */
export function registerMigrate(program: Program, cli: Cli): void {
  program
    .command('migrate')
    .description('apply the database migrations (start does this too); safe to run from several processes')
    .action(async () => {
      const loaded = cli.config();
      const log = cli.logger(loaded);
      const database = await openMigratedDatabase(loaded, cli.io.env, log);
      await database.close();
      cli.out('Database migrations are up to date.');
    });
}
