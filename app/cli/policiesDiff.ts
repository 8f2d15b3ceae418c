import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PgAccessStore } from '../../db/stores/accessStore.ts';
import { planPolicyChange } from '../../handlers/directory/index.ts';
import {
  countChanges,
  permissionDiffIsEmpty,
  permissionDiffLines,
  permissionHeadline,
  removalProblem,
} from '../../policies/permissionDiff.ts';
import { checkPolicyFiles, policyFilesIn } from '../../policies/policyFiles.ts';
import { buildRegistry, openMigratedDatabase } from '../app.ts';
import { resolveConfigRelative } from '../config/loadConfig.ts';
import { type Cli, Exit } from './context.ts';

/** The policy files a diff reads: the configured folder, or the folders and files named. */
function filesOf(paths: readonly string[], cwd: string, configured: string): string[] {
  if (paths.length === 0) return policyFilesIn(configured);
  return paths.flatMap((p) => {
    const full = resolve(cwd, p);
    let folder = false;
    try {
      folder = statSync(full).isDirectory();
    } catch {
      // A file that cannot be read is reported by the check, with its name.
    }
    return folder ? policyFilesIn(full) : [full];
  });
}

/**
 * `dpbot policies diff [path…] [--exit-code]`: who gains and who loses which action on which
 * resource if these policy files replaced the running grants (those in PostgreSQL), with each
 * group's grants counted for its members as the directory has them now.
 * Exit code: 2 when a file has errors; with --exit-code, 1 when anything would change (as
 * `git diff --exit-code`), so a CI step can flag a pull request that changes access.
 */
export async function policiesDiff(cli: Cli, paths: readonly string[], exitCode: boolean): Promise<void> {
  const loaded = cli.config();
  const configured = resolveConfigRelative(loaded, loaded.config.access.policies);
  const files = filesOf(paths, cli.io.cwd, configured);
  const registry = buildRegistry([], loaded.config);
  const database = await openMigratedDatabase(loaded, cli.io.env, cli.logger(loaded, 'warn'));
  try {
    const access = new PgAccessStore(database.db);
    const check = checkPolicyFiles(files, registry.catalog, await access.knownNames(), loaded.baseDir);
    for (const e of check.errors) cli.err(`error: ${e}`);
    for (const w of check.warnings) cli.err(`warning: ${w}`);
    if (check.errors.length > 0) {
      cli.err(`${check.errors.length} error(s): nothing to compare until they are fixed`);
      throw new Exit(2);
    }
    const change = await planPolicyChange(access, check.grants);
    const p = change.permissions;
    cli.out(
      `${check.files.length} policy file(s), ${check.grants.length} grant(s), against the running grants`,
    );
    if (!change.changedBeyondOrigin) {
      cli.out('No change: the running grants are what these files say.');
      return;
    }
    cli.out(permissionHeadline(p));
    for (const line of permissionDiffLines(p)) cli.out(line);
    if (permissionDiffIsEmpty(p))
      cli.out('The grants differ in limits or approvals only: nobody gains or loses an action.');
    const held = removalProblem(p, loaded.config.access.removalGuard);
    if (held)
      cli.out(
        `Applying this would be held for an admin's approval (access.removalGuard): ${held}. ${countChanges(p).peopleLosing} people would lose access.`,
      );
    if (exitCode) throw new Exit(1);
  } finally {
    await database.close();
  }
}
