import { defineCapability } from '../../pipeline/capability.ts';
import { datasetBackfill } from './commands/backfill.ts';
import { dataset } from './commands/dataset.ts';
import { datasets } from './commands/datasets.ts';
import type { DatasetsDeps } from './deps.ts';
import { lateAlertJobs } from './jobs.ts';
import { datasetOptions } from './options.ts';

/**
 * Dataset freshness: `datasets`, `dataset`, dataset names completing in forms, and the late-dataset
 * alerts whose Backfill button opens `backfill`.
 */
export const datasetsCapability = defineCapability<DatasetsDeps>({
  name: 'datasets',
  commands: [datasets, dataset, datasetBackfill],
  jobs: [lateAlertJobs],
  optionProviders: [datasetOptions],
});

// What the composition root (app/) needs beside the capability: the face is all it may import.
export { CombinedDatasetService, type DatasetService } from './datasetService.ts';
export type { DatasetsDeps } from './deps.ts';
export { ArgoProducerReader } from './producerReader.ts';
// The composition root builds the store (it owns the database); it gets the class here, not from the file.
export { type LateAlertStore, PgLateAlertStore } from './stores/lateAlertStore.ts';
