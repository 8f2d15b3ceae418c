import type { Logger } from 'pino';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import type { KubernetesConfig } from '../../integrations/kubernetes/config.ts';
import type { KubernetesClusters } from '../../integrations/kubernetes/kubernetes.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { Jobs } from '../../pipeline/jobs.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import type { TeamConfig } from './config.ts';
import type { ScaleStore } from './stores/scaleStore.ts';

/** How careful a change of worker counts is: locks, readiness, reverts, `--for` bounds. */
export type ScalingSettings = KubernetesConfig;

/** What worker scaling needs; app/wiring/scaling.ts picks it from what app/app.ts built. */
export interface ScalingDeps {
  /** The slice of the configuration scaling reads. */
  config: {
    teams: readonly TeamConfig[];
    kubernetes: ScalingSettings;
    /** Where announcements of changes made outside a request (reverts) go. */
    slack: { channels: { announce?: string | undefined } };
  };
  /** The clusters of the teams' worker targets; absent when no team is configured. */
  kubernetes?: KubernetesClusters | undefined;
  /** Pending reverts, team locks and the last changes. */
  scaling: ScaleStore;
  /** Steps of background changes (reverts) that belong to no request. */
  audit: Pick<AuditStore, 'append'>;
  jobs: Jobs;
  notifier: Notifier;
  log: Logger;
  now: () => Date;
}

/** Commands of this capability, written against ScalingDeps. */
export const defineCommand = commandsWith<ScalingDeps>();
