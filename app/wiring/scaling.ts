import type { ScalingDeps } from '../../handlers/scaling/index.ts';
import type { Services } from '../services.ts';

/** What worker scaling gets of everything createApp built. */
export function scalingDeps(services: Services): ScalingDeps {
  const { config } = services;
  return {
    config: { teams: config.teams, kubernetes: config.kubernetes, slack: config.slack },
    kubernetes: services.kubernetes,
    scaling: services.scaling,
    audit: services.audit,
    jobs: services.jobs,
    notifier: services.notifier,
    log: services.log.child({ capability: 'scaling' }),
    now: services.now,
  };
}
