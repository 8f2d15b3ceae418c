import type { Command as Program } from 'commander';
import { grantRuntimeRole } from '../../db/migrate.ts';
import { startJobs } from '../../pipeline/jobs.ts';
import { openMigratedDatabase } from '../app.ts';
import type { Cli } from './context.ts';

/** `dpbot migrate [--grant <role>]` */
export function registerMigrate(program: Program, cli: Cli): void {
  program
    .command('migrate')
    .description('apply the database migrations (start does this too); safe to run from several processes')
    .option(
      '--grant <role>',
      'also give this role what dpbot needs at run time and no more (it then owns nothing; see README, "Least privilege")',
    )
    .action(async (opts: { grant?: string }) => {
      const loaded = cli.config();
      const log = cli.logger(loaded);
      const database = await openMigratedDatabase(loaded, cli.io.env, log);
      try {
        // The job queue's own schema too, so a role that may create nothing can run the queue.
        const jobs = await startJobs({ url: database.url, log, pollIntervalSeconds: 2, schedule: false });
        await jobs.stop({ graceful: false });
        if (opts.grant) {
          await grantRuntimeRole(database.pool, opts.grant);
          cli.out(
            `Role ${opts.grant} may now run dpbot: it owns nothing and may only add rows to the audit log.`,
          );
        }
      } finally {
        await database.close();
      }
      cli.out('Database migrations are up to date.');
    });
}
