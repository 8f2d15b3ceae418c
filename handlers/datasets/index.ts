import { defineCapability } from '../../pipeline/capability.ts';
import { dataset } from './commands/dataset.ts';
import { datasets } from './commands/datasets.ts';
import type { DatasetsDeps } from './deps.ts';
import { datasetOptions } from './options.ts';

/** Dataset freshness: `datasets`, `dataset`, and dataset names completing in forms. */
export const datasetsCapability = defineCapability<DatasetsDeps>({
  name: 'datasets',
  commands: [datasets, dataset],
  optionProviders: [datasetOptions],
});

// What the composition root (app/) needs beside the capability: the face is all it may import.
export { CombinedDatasetService, type DatasetService } from './datasetService.ts';
export type { DatasetsDeps } from './deps.ts';
export { ArgoProducerReader } from './producerReader.ts';
