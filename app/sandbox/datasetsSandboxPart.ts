import { datasetsConfigSchema } from '../../handlers/datasets/config.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';
import type { SandboxPart } from './sandboxPart.ts';

const SANDBOX_CATALOG_TOKEN = 'sandbox-catalog-token';

/** The field mapping that reads the simulated catalog (the example configuration has the same). */
export const SIMULATED_CATALOG = {
  listPath: '/api/v1/datasets',
  getPath: '/api/v1/datasets/{name}',
  itemsPath: 'data',
  pagination: { type: 'page', pageSize: 100 },
  fields: {
    name: 'name',
    team: 'team',
    owner: 'owner.email',
    description: 'description',
    lastUpdated: 'freshness.last_updated_at',
    freshnessSla: 'freshness.sla',
    tags: 'tags',
    extra: { Tier: 'tier', Rows: 'stats.row_count' },
  },
} as const;

/**
 * A catalog of a few hundred datasets across eight teams, generated for the moment the sandbox
 * starts (late ones among them). Its producers' runs are the Argo side: datasetProducersPart.
 */
export const datasetCatalogPart: SandboxPart = {
  name: 'dataset catalog',
  system: 'catalog',
  async start({ now }) {
    const world = generateDemoWorld({ now });
    const catalog = catalogSimulator({
      items: world.items,
      pagination: 'page',
      token: SANDBOX_CATALOG_TOKEN,
    });
    await catalog.start();
    return {
      configure(config) {
        const current = config.datasets;
        // Keep what the configuration says about the catalog (its field mapping), but point it
        // here; with no catalog section, read the simulator with its own mapping.
        const catalogConfig = current.catalog
          ? { ...current.catalog, url: catalog.url }
          : datasetsConfigSchema.parse({ catalog: { url: catalog.url, ...SIMULATED_CATALOG } }).catalog;
        config.datasets = { ...current, catalog: catalogConfig };
      },
      env: { DATASET_CATALOG_TOKEN: SANDBOX_CATALOG_TOKEN },
      stop: () => catalog.stop(),
    };
  },
};

/**
 * The Argo CronWorkflows (and their recent runs) producing the simulated catalog's datasets, from
 * the same generated world: `datasets status=failed` has answers. The mapping of dataset to
 * CronWorkflow is added only while the catalog is simulated too; a real catalog's datasets have
 * no producers here (and `config check` refuses datasets.producers with one side real).
 */
export const datasetProducersPart: SandboxPart = {
  name: 'Argo CronWorkflows of the datasets',
  system: 'argo',
  async start({ now, simulated }) {
    const world = generateDemoWorld({ now });
    const argo = new ArgoSimulator({ cronWorkflows: world.cronWorkflows, workflows: world.workflows });
    await argo.start();
    return {
      configure(config) {
        const current = config.datasets;
        const argoConfig = current.argo
          ? { ...current.argo, url: argo.url }
          : datasetsConfigSchema.parse({ argo: { url: argo.url } }).argo;
        config.datasets = {
          ...current,
          argo: argoConfig,
          producers: simulated.catalog ? { ...world.producers, ...current.producers } : current.producers,
        };
      },
      // This simulator checks no token; argoSandboxPart hands ARGO_TOKEN to both Argo clients.
      stop: () => argo.stop(),
    };
  },
};
