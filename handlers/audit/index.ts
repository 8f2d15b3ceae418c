import { defineCapability } from '../../pipeline/capability.ts';
import { audit } from './commands/audit.ts';
import type { AuditDeps } from './deps.ts';

/** Reading the audit log: `audit`. */
export const auditCapability = defineCapability<AuditDeps>({ name: 'audit', commands: [audit] });
