import { defineCapability } from '../../pipeline/capability.ts';
import { freeze } from './commands/freeze.ts';
import { freezesList } from './commands/freezes.ts';
import { unfreeze } from './commands/unfreeze.ts';
import type { FreezeDeps } from './deps.ts';
import { freezeHomePanel } from './homePanel.ts';

/** The action whose holders may ship (and, with blockRollbacks, roll back) during a freeze, with a reason. */
export const SHIP_FROZEN_ACTION = 'release.ship.frozen';

/** Deploy freezes: configured windows and ad hoc ones, which the release's ship asks about. */
export const freezeCapability = defineCapability<FreezeDeps>({
  name: 'freeze',
  commands: [freezesList, freeze, unfreeze],
  homePanels: [freezeHomePanel],
  actions: [
    {
      action: SHIP_FROZEN_ACTION,
      summary: 'Ship (and, with freezes.blockRollbacks, roll back) during a deploy freeze, with a reason',
      resourceKinds: ['release'],
      limits: [],
    },
  ],
});

export type { FreezeDeps } from './deps.ts';
// What the release and the composition root use: the face is all they may import.
export { describeFreeze } from './describe.ts';
export { type FreezeGate, freezeGate } from './gate.ts';
export { type FreezeStore, PgFreezeStore } from './stores/freezeStore.ts';
export { type ActiveFreeze, covers } from './windows.ts';
