import { defineCapability } from '../../pipeline/capability.ts';
import { audit } from './commands/audit.ts';
import type { AuditDeps } from './deps.ts';

/** Reading the audit log: `audit`. */
export const auditCapability = defineCapability<AuditDeps>({ name: 'audit', commands: [audit] });

// What the composition root (app/) needs beside the capability: the face is all it may import.
export type { AuditDeps } from './deps.ts';
