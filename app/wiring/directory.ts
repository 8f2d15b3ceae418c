import { resolveConfigRelative } from '../../core/config/relativePath.ts';
import { ConfigError } from '../../core/errors.ts';
import type { DirectoryDeps } from '../../handlers/directory/index.ts';
import { checkPolicies } from '../../policies/policyFiles.ts';
import type { Services } from '../services.ts';

/**
 * The policy files as they are on disk now; files with errors load nothing (the running grants
 * stay), and unknown groups or users are logged as warnings.
 */
export function policyReload(services: Services): NonNullable<DirectoryDeps['policies']> {
  return {
    load: async () => {
      const dir = resolveConfigRelative({ baseDir: services.configDir }, services.config.access.policies);
      const known = await services.access.knownNames();
      const check = checkPolicies(dir, services.registry.catalog, known, services.configDir);
      if (check.errors.length > 0) throw new ConfigError(`policies in ${dir}`, check.errors);
      for (const warning of check.warnings) services.log.warn(warning);
      return check.grants;
    },
    replace: (grants) => services.access.replacePolicyGrants(grants),
  };
}

/** The directory capability's share of the services; config sections are passed by reference. */
export function directoryDeps(services: Services): DirectoryDeps {
  const { config } = services;
  return {
    config: {
      directory: config.directory,
      access: config.access,
      slack: { channels: config.slack.channels },
    },
    directorySources: services.directorySources,
    directory: services.directory,
    syncRuns: services.syncRuns,
    holds: services.holds,
    policies: policyReload(services),
    access: services.access,
    audit: services.audit,
    registry: services.registry,
    jobs: services.jobs,
    notifier: services.notifier,
    log: services.log,
    now: services.now,
    ...(services.slackProfiles ? { slackProfiles: services.slackProfiles } : {}),
  };
}
