import { directorySyncWorker } from '../bot/directorySync.ts';
import type { HomePanel } from '../bot/homePanels.ts';
import type { Command } from '../bot/pipeline/defineCommand.ts';
import type { OptionProvider } from '../bot/pipeline/options.ts';
import { expireConfirmations, pruneSlackRequests, type WorkerRegistration } from '../bot/workers.ts';
import { accessStatus } from './access/status.ts';
import { accessSync } from './access/sync.ts';
import { audit } from './audit.ts';
import { dataset } from './datasets/dataset.ts';
import { datasetOptions } from './datasets/datasetOptions.ts';
import { datasets } from './datasets/datasets.ts';
import { help } from './help.ts';
import { releaseCommands, releaseWorkers } from './release/index.ts';
import { releaseHomePanel } from './release/releaseHomePanel.ts';
import { taskCommands, taskWorkerRegistrations } from './tasks/taskCommands.ts';
import { whoami } from './whoami.ts';
import { whoCan } from './whoCan.ts';
import { scale } from './workers/scale.ts';
import { workers } from './workers/workers.ts';
import { workersHomePanel } from './workers/workersHomePanel.ts';
import { workersJobs } from './workers/workersJobs.ts';

/** Every command, in the order help lists groups; adding a capability means adding it here. */
export const allCommands: readonly Command[] = [
  help,
  whoami,
  whoCan,
  accessStatus,
  accessSync,
  audit,
  datasets,
  dataset,
  scale,
  workers,
  ...releaseCommands,
  ...taskCommands,
];

/** Background workers of every capability, started by long-running processes. */
export const allWorkers: readonly WorkerRegistration[] = [
  expireConfirmations,
  pruneSlackRequests,
  directorySyncWorker,
  workersJobs,
  releaseWorkers,
  ...taskWorkerRegistrations,
];

/** Panels on the Slack App Home (the current release, worker counts). */
export const allHomePanels: readonly HomePanel[] = [releaseHomePanel, workersHomePanel];

/** Suggestions for external selects in forms (dataset names, teams), by action id. */
export const allOptionProviders: readonly OptionProvider[] = [datasetOptions];
