import type { Logger } from 'pino';
import type { Services } from '../../app/services.ts';
import type { BoundCapability, BoundOptionProvider } from '../../pipeline/capability.ts';
import type { CommandPipeline } from '../../pipeline/pipeline.ts';
import type { CachedSlackProfiles } from './profiles.ts';
import type { SlackNotifier } from './slackNotifier.ts';

/** What the Slack listeners share; built once in createSlackApp. */
export interface SlackDeps {
  services: Services;
  pipeline: CommandPipeline;
  notifier: SlackNotifier;
  profiles: CachedSlackProfiles;
  optionProviders: ReadonlyMap<string, BoundOptionProvider>;
  homePanels: BoundCapability['homePanels'];
  /** The slash command, `/dp` unless configured otherwise. */
  command: string;
  /** When to answer with a holding note if the pipeline has not acknowledged yet. */
  ackDeadlineMs: number;
  log: Logger;
}
