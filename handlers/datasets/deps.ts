import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { DatasetsConfig } from './config.ts';
import type { DatasetService } from './datasetService.ts';

/** The parts of the configuration the datasets commands read; the whole configuration has this shape too. */
export interface DatasetsSettings {
  datasets: Pick<DatasetsConfig, 'pageSize' | 'quickActions'>;
  access: { adminContact: string };
}

/** What the datasets capability needs; app/wiring/datasets.ts builds it and app/app.ts binds it. */
export interface DatasetsDeps {
  config: DatasetsSettings;
  /** The catalog and the producers' runs; absent when `datasets` configures neither. */
  datasets?: DatasetService | undefined;
  now: () => Date;
}

/** Commands of this capability, written against DatasetsDeps. */
export const defineCommand = commandsWith<DatasetsDeps>();
