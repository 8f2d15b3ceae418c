import type { Command as Program } from 'commander';
import { PgAccessStore } from '../../db/stores/accessStore.ts';
import { checkPolicies } from '../../policies/policyFiles.ts';
import { applyPolicies, buildRegistry, createApp, openMigratedDatabase } from '../app.ts';
import { resolveConfigRelative } from '../config/loadConfig.ts';
import { type Cli, Exit } from './context.ts';

/** `dpbot policies check [--offline]` and `dpbot policies apply` */
export function registerPolicies(program: Program, cli: Cli): void {
  const policies = program.command('policies').description('authorization policy tools');
  policies
    .command('check')
    .description(
      'validate policies/*.yaml: unknown actions and malformed patterns are errors, unknown groups warnings',
    )
    .option('--offline', 'do not open the database to look up groups and users')
    .action(async (opts: { offline?: boolean }) => {
      const loaded = cli.config();
      const dir = resolveConfigRelative(loaded, loaded.config.access.policies);
      const registry = buildRegistry([], loaded.config);
      let known: { groups: Set<string>; users: Set<string> } | undefined;
      if (!opts.offline) {
        const database = await openMigratedDatabase(loaded, cli.io.env, cli.logger(loaded, 'warn'));
        try {
          known = await new PgAccessStore(database.db).knownNames();
        } finally {
          await database.close();
        }
      }
      const check = checkPolicies(dir, registry.catalog, known, loaded.baseDir);
      for (const e of check.errors) cli.err(`error: ${e}`);
      for (const w of check.warnings) cli.err(`warning: ${w}`);
      cli.out(
        `${check.files.length} policy file(s), ${check.grants.length} valid grant(s), ${check.errors.length} error(s), ${check.warnings.length} warning(s)`,
      );
      if (check.errors.length > 0) throw new Exit(1);
    });

  policies
    .command('apply')
    .description('apply policies/*.yaml to the database now (start does this too)')
    .action(async () => {
      const loaded = cli.config();
      const log = cli.logger(loaded);
      const app = await createApp({ loaded, env: cli.io.env, log });
      try {
        const result = await applyPolicies(app.services, loaded);
        cli.out(
          result.changed
            ? `Applied ${result.count} grant(s).`
            : `No change: ${result.count} grant(s) already applied.`,
        );
      } finally {
        await app.close();
      }
    });
}
