import type { Command as Program } from 'commander';
import { PgAccessStore } from '../../db/stores/accessStore.ts';
import { permissionHeadline } from '../../policies/permissionDiff.ts';
import { checkPolicies } from '../../policies/policyFiles.ts';
import { applyPolicies, buildRegistry, createApp, openMigratedDatabase } from '../app.ts';
import { resolveConfigRelative } from '../config/loadConfig.ts';
import { type Cli, Exit } from './context.ts';
import { policiesDiff } from './policiesDiff.ts';

/** `dpbot policies check [--offline]`, `dpbot policies diff [path…]` and `dpbot policies apply [--force]` */
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
    .command('diff')
    .description(
      'show who gains and who loses which action on which resource if the policy files (default: the configured folder) replaced the running grants',
    )
    .argument('[paths...]', 'policy folders or files to compare instead of access.policies')
    .option('--exit-code', 'exit with 1 when anything would change (as git diff --exit-code), 0 when nothing')
    .action(async (paths: string[], opts: { exitCode?: boolean }) => {
      await policiesDiff(cli, paths, opts.exitCode ?? false);
    });

  policies
    .command('apply')
    .description(
      'apply policies/*.yaml to the database now (start does this too); a mass removal is held for approval',
    )
    .option('--force', 'apply even a removal that access.removalGuard would hold for approval')
    .action(async (opts: { force?: boolean }) => {
      const loaded = cli.config();
      const log = cli.logger(loaded);
      const app = await createApp({ loaded, env: cli.io.env, log });
      try {
        const result = await applyPolicies(app.services, loaded, {
          trigger: 'cli',
          force: opts.force ?? false,
        });
        const reload = result.reload;
        if (reload.status === 'held') {
          cli.out(
            `Held for an admin's approval (request ${reload.holdId}): ${reload.problem}. Nothing was changed; approve it with \`access approve policies ${reload.holdId}\`, or apply it with --force.`,
          );
          throw new Exit(1);
        }
        cli.out(
          result.changed
            ? `Applied ${result.count} grant(s). ${permissionHeadline(reload.change.permissions)}`
            : `No change: ${result.count} grant(s) already applied.`,
        );
      } finally {
        await app.close();
      }
    });
}
