import type { FreezeDeps } from '../../handlers/freeze/index.ts';
import type { Services } from '../services.ts';

/** The freeze capability's share of what createApp built. */
export function freezeDeps(services: Services): FreezeDeps {
  return {
    config: {
      freezes: services.config.freezes,
      services: services.config.release.services.map((s) => s.name),
    },
    freezes: services.freezes,
    log: services.log,
    now: services.now,
  };
}
