import type { HelpDeps } from '../../handlers/help/deps.ts';
import type { Services } from '../services.ts';

/** The help capability's share of the services. */
export function helpDeps(services: Services): HelpDeps {
  return { registry: services.registry, sandbox: services.config.sandbox };
}
