import { sandboxNote } from '../../core/config/sandbox.ts';
import type { HelpDeps } from '../../handlers/help/index.ts';
import type { Services } from '../services.ts';

/** The help capability's share of the services. */
export function helpDeps(services: Services): HelpDeps {
  return { registry: services.registry, sandboxNote: sandboxNote(services.config.sandbox) };
}
