import type { AccessStore } from '../../db/stores/accessStore.ts';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/**
 * What the audit capability needs: the log to search, the clock for `--since 2h`, and what a bare
 * filter word may name: a person of the directory (`audit grace`) or an action dpbot has.
 */
export interface AuditDeps {
  audit: Pick<AuditStore, 'search' | 'count'>;
  now: () => Date;
  people: Pick<AccessStore, 'usersNamed' | 'findUser'>;
  /** Whether an action or a pattern (`workers.*`) names any action dpbot checks. */
  knownAction: (pattern: string) => boolean;
}

/** Commands of this capability, written against AuditDeps. */
export const defineCommand = commandsWith<AuditDeps>();
