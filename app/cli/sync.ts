import type { Command as Program } from 'commander';
import { InputError } from '../../core/errors.ts';
import { syncDirectorySources, syncResultLines } from '../../handlers/directory/index.ts';
import { createApp } from '../app.ts';
import { type Cli, Exit } from './context.ts';

/** `dpbot sync [--source <name>] [--dry-run] [--force]` */
export function registerSync(program: Program, cli: Cli): void {
  program
    .command('sync')
    .description('sync groups and memberships from the directory sources now, and print the difference')
    .option('--source <name>', 'only this source')
    .option('--dry-run', 'show the difference without applying it')
    .option('--force', 'apply even a mass removal or an empty answer that the guards would refuse')
    .action(async (opts: { source?: string; dryRun?: boolean; force?: boolean }) => {
      const loaded = cli.config();
      if (opts.source && !loaded.config.directory.sources.some((s) => s.name === opts.source)) {
        throw new InputError(
          `there is no directory source "${opts.source}" (configured: ${loaded.config.directory.sources.map((s) => s.name).join(', ') || 'none'})`,
        );
      }
      const app = await createApp({
        loaded,
        env: cli.io.env,
        log: cli.logger(loaded, 'warn'),
        syncOnStart: false,
      });
      try {
        const results = await syncDirectorySources(app.services, {
          ...(opts.source ? { source: opts.source } : {}),
          trigger: 'cli',
          entry: 'cli',
          dryRun: opts.dryRun ?? false,
          force: opts.force ?? false,
        });
        for (const result of results) for (const line of syncResultLines(result)) cli.out(line);
        if (results.some((r) => r.status === 'failed' || r.status === 'refused')) throw new Exit(1);
      } finally {
        await app.close();
      }
    });
}
