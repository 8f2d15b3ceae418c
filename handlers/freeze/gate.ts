import type { FreezeDeps } from './deps.ts';
import type { FreezeRow } from './stores/freezeStore.ts';
import { type ActiveFreeze, activeWindows, covers } from './windows.ts';

/** What the release asks before it deploys: which freezes are in force, and what they block. */
export interface FreezeGate {
  /** The freezes in force now that cover any of `services` (any freeze at all when left out). */
  active(services?: readonly string[]): Promise<ActiveFreeze[]>;
  /** Whether a freeze blocks rollbacks too (`freezes.blockRollbacks`); recovery stays open otherwise. */
  readonly blockRollbacks: boolean;
}

export const adhocFreeze = (row: FreezeRow, zone: string): ActiveFreeze => ({
  label: `freeze #${row.id}`,
  kind: 'adhoc',
  id: row.id,
  services: row.services,
  reason: row.reason,
  by: row.createdBy,
  until: row.until,
  zone,
});

/** Configured windows and stored freezes, windows first, each list by its end. */
export async function activeFreezes(
  deps: Pick<FreezeDeps, 'config' | 'freezes' | 'now'>,
  services?: readonly string[],
): Promise<ActiveFreeze[]> {
  const now = deps.now();
  const all = [
    ...activeWindows(deps.config.freezes, now),
    ...(await deps.freezes.active(now)).map((row) => adhocFreeze(row, deps.config.freezes.timezone)),
  ];
  return services ? all.filter((f) => services.some((s) => covers(f, s))) : all;
}

/** Tells whoever shows freezes that they changed; a failure there does not undo the freeze. */
export async function announceChange(deps: Pick<FreezeDeps, 'changed' | 'log'>): Promise<void> {
  try {
    await deps.changed?.();
  } catch (error) {
    deps.log.warn({ err: error }, 'could not show the changed freezes');
  }
}

export function freezeGate(deps: Pick<FreezeDeps, 'config' | 'freezes' | 'now'>): FreezeGate {
  return {
    active: (services) => activeFreezes(deps, services),
    blockRollbacks: deps.config.freezes.blockRollbacks,
  };
}
