import type { AuditStore } from '../../db/stores/auditStore.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the audit capability needs: the log to search, and the clock for `--since 2h`. */
export interface AuditDeps {
  audit: Pick<AuditStore, 'search' | 'count'>;
  now: () => Date;
}

/** Commands of this capability, written against AuditDeps. */
export const defineCommand = commandsWith<AuditDeps>();
