import type { Command } from '../../bot/pipeline/defineCommand.ts';
import { releaseCancel } from './commands/cancelCommand.ts';
import { releaseInclude, releaseSkip } from './commands/decideCommands.ts';
import { releaseRefresh } from './commands/refreshCommand.ts';
import { releaseRollback, rollback } from './commands/rollbackCommands.ts';
import { releaseShip } from './commands/shipCommand.ts';
import { releaseStart } from './commands/startCommand.ts';
import { releaseHistory, releaseNotes, releaseStatus } from './commands/statusCommands.ts';

export { releaseWorkers } from './workers.ts';

/** The weekly release, in the order help lists them. */
export const releaseCommands: readonly Command[] = [
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
];
