import type { DirectorySourceConfig } from '../config.ts';
import { FileDirectorySource } from './fileSource.ts';
import { GithubTeamsSource } from './githubSource.ts';
import { GoogleDirectorySource } from './googleSource.ts';
import { SlackUserGroupsSource } from './slackSource.ts';
import type { DirectorySource, SourceDeps } from './source.ts';

/**
 * Builds the configured sources once, at start. A new source type is one module with a
 * `fromConfig(config, deps)` factory, one entry in `directorySourceSchema` and one case here.
 */
export function createDirectorySource(config: DirectorySourceConfig, deps: SourceDeps): DirectorySource {
  switch (config.type) {
    case 'file':
      return FileDirectorySource.fromConfig(config, deps);
    case 'google':
      return GoogleDirectorySource.fromConfig(config, deps);
    case 'github':
      return GithubTeamsSource.fromConfig(config, deps);
    case 'slack':
      return SlackUserGroupsSource.fromConfig(config, deps);
  }
}

export function createDirectorySources(
  configs: readonly DirectorySourceConfig[],
  deps: SourceDeps,
): Map<string, DirectorySource> {
  return new Map(configs.map((c) => [c.name, createDirectorySource(c, deps)]));
}
