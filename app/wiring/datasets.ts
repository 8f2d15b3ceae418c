import type { Logger } from 'pino';
import type { Env } from '../../core/config/secrets.ts';
import type { DatasetsConfig } from '../../handlers/datasets/config.ts';
import type { DatasetsDeps } from '../../handlers/datasets/index.ts';
import { ArgoProducerReader, CombinedDatasetService } from '../../handlers/datasets/index.ts';
import { argoClientFromConfig } from '../../integrations/argo/argoClient.ts';
import type { Services } from '../services.ts';

/** What the datasets capability gets of everything createApp built. */
export function datasetsDeps(services: Services): DatasetsDeps {
  return {
    config: services.config,
    datasets: services.datasets,
    now: services.now,
    lateAlerts: {
      store: services.lateAlertStore,
      audit: services.audit,
      jobs: services.jobs,
      notifier: services.notifier,
      log: services.log.child({ component: 'late-datasets' }),
    },
  };
}

/**
 * The dataset service of the `datasets` section; its producers' runs are read with the Argo
 * Workflows client, pointed at `datasets.argo` (which may be another server than `argo`).
 */
export function datasetServiceFromConfig(
  config: DatasetsConfig,
  deps: { env: Env; log: Logger; now: () => Date },
): CombinedDatasetService | undefined {
  const argo = config.argo ? argoClientFromConfig(config.argo, deps) : undefined;
  return CombinedDatasetService.fromConfig(config, {
    ...deps,
    argo: argo ? new ArgoProducerReader(argo) : undefined,
  });
}
