import type { Logger } from 'pino';
import type { Metrics } from '../core/metrics.ts';
import type { OnceStore } from '../db/stores/actionKeyStore.ts';
import type { AuditStore } from '../db/stores/auditStore.ts';
import type { PendingStore } from '../db/stores/pendingStore.ts';
import type { AcksFirst } from './acksFirst.ts';
import type { CallerIdentity } from './identity.ts';
import type { Jobs } from './jobs.ts';
import type { Notifier } from './notifier.ts';
import type { CommandRegistry } from './registry.ts';

/**
 * What the command pipeline uses, and nothing more: the composition root passes its whole
 * services object (it fits structurally), a test passes just these.
 */
export interface PipelineDeps {
  audit: Pick<AuditStore, 'append' | 'appendOrHold'>;
  pending: PendingStore;
  once: Pick<OnceStore, 'claim' | 'release'>;
  identity: CallerIdentity;
  registry: Pick<CommandRegistry, 'resolve' | 'get' | 'group' | 'all'>;
  /**
   * Updates the question of a request decided or expired; posts an approved request's result in
   * its thread and tells the requester the decision.
   */
  notifier: Pick<Notifier, 'update' | 'post' | 'direct'>;
  metrics: Pick<Metrics, 'commandFinished' | 'decision'>;
  log: Logger;
  now: () => Date;
  /**
   * Shared with the HTTP server, which counts Slack requests from their arrival; without it the
   * pipeline counts from its own entry.
   */
  acksFirst?: AcksFirst;
  config: {
    access: { adminContact: string };
    /** How long a confirmation or an approval waits for its answer, in milliseconds. */
    confirmations: { ttl: number };
  };
}

/** What the pipeline's own background sweeps (workers.ts) use: the job queue they run on. */
export interface PipelineSweepDeps {
  jobs: Pick<Jobs, 'work' | 'schedule'>;
  once: Pick<OnceStore, 'pruneDeliveries' | 'pruneShownMessages'>;
  pending: Pick<PendingStore, 'approvedNotRun'>;
  audit: Pick<AuditStore, 'append'>;
  notifier: Pick<Notifier, 'post' | 'direct'>;
  log: Logger;
}
