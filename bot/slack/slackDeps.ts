import type { Logger } from 'pino';
import type { Metrics } from '../../core/metrics.ts';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import type { BoundCapability, BoundOptionProvider } from '../../pipeline/capability.ts';
import type { CallerIdentity } from '../../pipeline/identity.ts';
import type { CommandPipeline } from '../../pipeline/pipeline.ts';
import type { CachedSlackProfiles } from './profiles.ts';
import type { SlackNotifier } from './slackNotifier.ts';

/** The configuration's `slack` section, as far as the Slack surface reads it. */
export interface SlackSurfaceConfig {
  apiUrl?: string | undefined;
  /** The slash command, `/dp` unless configured otherwise. */
  command: string;
  /** Least time between two updates of one message. */
  updateInterval: number;
  /** When to answer with a holding note if the pipeline has not acknowledged yet. */
  ackDeadline: number;
  /** Longest wait for one Web API call. */
  timeout: number;
}

/**
 * What the Slack surface takes from the composition root (app/wiring/surfaces.ts builds it), and
 * nothing more: the commands themselves reach everything else through the pipeline.
 */
export interface SlackSurfaceDeps {
  config: { slack: SlackSurfaceConfig };
  metrics: Metrics;
  /** Who clicked, for App Home and option lists (the pipeline resolves callers of commands). */
  identity: CallerIdentity;
  /** App Home lists the caller's recent requests; the surface never writes the log itself. */
  audit: Pick<AuditStore, 'search'>;
}

/** What the Slack listeners share; built once in createSlackRuntime. */
export interface SlackDeps {
  metrics: Metrics;
  identity: CallerIdentity;
  audit: Pick<AuditStore, 'search'>;
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
