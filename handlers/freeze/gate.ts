import type { FreezeDeps } from './deps.ts';
import type { FreezeRow } from './stores/freezeStore.ts';
import { type ActiveFreeze, activeWindows, covers } from './windows.ts';

/** What the release asks before it deploys: which freezes are in force, and what they block. */
export interface FreezeGate {
  /** The freezes in force now that cover any of `services` (any freeze at all when left out). */
  active(services?: readonly string[]): Promise<ActiveFreeze[]>;
  /**
   * The freezes in force now, covering any of `services`, that were not in force at `at`: set
   * since, or a window begun since. A ship under way asks this before each wave: the freezes of
   * its start were passed (or excepted) when it started.
   */
  newSince(at: Date, services: readonly string[]): Promise<ActiveFreeze[]>;
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
  since: row.createdAt,
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
    newSince: async (at, services) => {
      const then = new Set(activeWindows(deps.config.freezes, at).map((f) => f.label));
      return (await activeFreezes(deps, services)).filter((f) =>
        f.kind === 'window' ? !then.has(f.label) : (f.since?.getTime() ?? 0) > at.getTime(),
      );
    },
    blockRollbacks: deps.config.freezes.blockRollbacks,
  };
}
