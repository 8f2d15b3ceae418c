import { defineCapability } from '../../pipeline/capability.ts';
import { releaseCancel } from './commands/cancel.ts';
import { releaseInclude, releaseSkip } from './commands/include.ts';
import { releaseRefresh } from './commands/refresh.ts';
import { releaseRollback, rollback } from './commands/rollback.ts';
import { releaseShip } from './commands/ship.ts';
import { releaseStart } from './commands/start.ts';
import { releaseHistory, releaseNotes, releaseStatus } from './commands/status.ts';
import type { ReleaseDeps } from './deps.ts';
import { releaseHomePanel } from './homePanel.ts';
import { releaseWorkers } from './jobs.ts';

/** The weekly release; commands in the order help lists them. */
export const releaseCapability = defineCapability<ReleaseDeps>({
  name: 'release',
  commands: [
    releaseStart,
    releaseStatus,
    releaseRefresh,
    releaseInclude,
    releaseSkip,
    releaseShip,
    releaseRollback,
    rollback,
    releaseNotes,
    releaseHistory,
    releaseCancel,
  ],
  workers: [releaseWorkers],
  homePanels: [releaseHomePanel],
});
