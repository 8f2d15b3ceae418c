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
 * A catalog of a few hundred datasets across eight teams and the Argo CronWorkflows producing
 * them, generated for the moment the sandbox starts: `datasets status=failed` has answers.
 */
export const datasetsSandboxPart: SandboxPart = {
  name: 'dataset catalog and Argo CronWorkflows',
  async start() {
    const world = generateDemoWorld({ now: new Date() });
    const catalog = catalogSimulator({
      items: world.items,
      pagination: 'page',
      token: SANDBOX_CATALOG_TOKEN,
    });
    const argo = new ArgoSimulator({ cronWorkflows: world.cronWorkflows, workflows: world.workflows });
    await catalog.start();
    try {
      await argo.start();
    } catch (error) {
      await catalog.stop();
      throw error;
    }
    return {
      configure(config) {
        const current = config.datasets;
        // Keep what the configuration says about the catalog (its field mapping), but point it
        // here; with no catalog section, read the simulator with its own mapping.
        const defaults = datasetsConfigSchema.parse({
          catalog: { url: catalog.url, ...SIMULATED_CATALOG },
          argo: { url: argo.url },
        });
        config.datasets = {
          ...current,
          catalog: current.catalog ? { ...current.catalog, url: catalog.url } : defaults.catalog,
          argo: current.argo ? { ...current.argo, url: argo.url } : defaults.argo,
          producers: { ...world.producers, ...current.producers },
        };
      },
      // The simulator checks no token, so another sandbox part's ARGO_TOKEN works as well.
      env: { DATASET_CATALOG_TOKEN: SANDBOX_CATALOG_TOKEN, ARGO_TOKEN: 'sandbox-argo-token' },
      stop: async () => {
        await Promise.allSettled([catalog.stop(), argo.stop()]);
      },
    };
  },
};
