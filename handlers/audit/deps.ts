import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the audit capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type AuditDeps = Services;

/** Commands of this capability, written against AuditDeps. */
export const defineCommand = commandsWith<AuditDeps>();
