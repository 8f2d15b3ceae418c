import type { AuditDeps } from '../../handlers/audit/index.ts';
import type { Services } from '../services.ts';

/** The audit capability's share of the services. */
export function auditDeps(services: Services): AuditDeps {
  return {
    audit: services.audit,
    now: services.now,
    people: services.access,
    knownAction: (pattern) => services.registry.catalog.covered(pattern).length > 0,
  };
}
