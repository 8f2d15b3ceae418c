import type { DirectoryDeps } from '../../handlers/directory/index.ts';
import type { Services } from '../services.ts';

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
