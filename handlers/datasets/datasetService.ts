import type { Logger } from 'pino';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { UpstreamError } from '../../core/errors.ts';
import {
  CATALOG_SYSTEM,
  type CatalogListing,
  type DatasetCatalog,
  HttpDatasetCatalog,
} from '../../integrations/datasets/catalogClient.ts';
import type { CatalogDataset } from '../../integrations/datasets/catalogDataset.ts';
import type { CatalogConfig } from '../../integrations/datasets/config.ts';
import { compareByProblem, type DatasetStatus, evaluateStatus } from './datasetStatus.ts';
import { ago } from './humanDuration.ts';
import { type Fetched, SourceCache } from './sourceCache.ts';
import { missingProducer, type ProducerRef, type ProducerState } from './types.ts';

/** Where the producers' runs come from, named in notices. */
const ARGO_SYSTEM = 'Argo Workflows';

/**
 * Reads the producers' CronWorkflows and their runs. The datasets capability implements it on the
 * Argo Workflows client (handlers/datasets/producerReader.ts); this module only needs the shape.
 */
export interface CronWorkflowReader {
  /** One CronWorkflow and its newest runs; `found: false` when it does not exist. */
  producer(ref: ProducerRef, runs: number): Promise<ProducerState>;
  /**
   * Every CronWorkflow of a namespace with its newest runs, by name: two requests however many
   * datasets the namespace produces.
   */
  namespace(namespace: string, runsPerCron: number): Promise<Map<string, ProducerState>>;
}

export interface DatasetRow {
  name: string;
  /** What the catalog says; null when it was not read or does not know the dataset. */
  catalog: CatalogDataset | null;
  producerRef: ProducerRef | null;
  /** What Argo says; null when no producer is mapped or Argo could not be read. */
  producer: ProducerState | null;
  status: DatasetStatus;
}

export interface DatasetAnswer {
  /** When the oldest piece of data in this answer was fetched. */
  asOf: Date;
  /** Partial failures and stale data, in words for the reader. */
  notices: string[];
}

export interface DatasetOverview extends DatasetAnswer {
  /** Every dataset, problems first. */
  rows: DatasetRow[];
}

export interface DatasetDetail extends DatasetAnswer {
  row: DatasetRow;
}

/** The catalog's names: none configured, not answering (nor recently enough), or its list. */
export type CatalogNames =
  | { kind: 'none' }
  | { kind: 'unreachable'; error: string }
  | { kind: 'ok'; names: string[] };

/** Datasets from the catalog and their producers' runs, combined and cached. */
export interface DatasetService {
  overview(): Promise<DatasetOverview>;
  /** One dataset; null when neither the catalog nor the producer mapping knows it. */
  detail(name: string): Promise<DatasetDetail | null>;
  /** Every known dataset name (catalog, else the producer mapping), for completion and suggestions. */
  names(): Promise<string[]>;
  /** The names known without asking any source now: the last catalog read, whatever its age, and the mapping. */
  knownNames(): string[];
  /**
   * Every dataset name there is, to tell a known name from an unknown one: undefined when the
   * catalog is configured but neither answered nor has an answer recent enough (`maxStale`) to
   * stand in, since then nobody can say a name does not exist.
   */
  allNames(): Promise<string[] | undefined>;
  /** What the catalog itself holds, to check a dataset someone typed (a task's parameter). */
  catalogNames(): Promise<CatalogNames>;
}

/** What the service reads of the `datasets` section (parsed by handlers/datasets/config.ts). */
export interface DatasetServiceConfig {
  cacheTtl: number;
  errorTtl: number;
  maxStale: number;
  runsShown: number;
  producers: Record<string, ProducerRef>;
  catalog?: CatalogConfig | undefined;
  /** Where the producers' CronWorkflows are read (datasets.argo); the reader itself is a dependency. */
  argo?: { url: string; timeout: number } | undefined;
}

export interface DatasetServiceDeps {
  catalog: DatasetCatalog | undefined;
  argo: CronWorkflowReader | undefined;
  log: Logger;
  now: () => Date;
}

export class CombinedDatasetService implements DatasetService {
  readonly #config: DatasetServiceConfig;
  readonly #deps: DatasetServiceDeps;
  readonly #log: Logger;
  readonly #catalogList: SourceCache<CatalogListing>;
  readonly #catalogGet: SourceCache<CatalogDataset | null>;
  readonly #namespaces: SourceCache<Map<string, ProducerState>>;
  readonly #producers: SourceCache<ProducerState>;

  constructor(config: DatasetServiceConfig, deps: DatasetServiceDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#log = deps.log.child({ integration: 'datasets' });
    const options = {
      ttlMs: config.cacheTtl,
      errorTtlMs: config.errorTtl,
      maxStaleMs: config.maxStale,
      now: deps.now,
    };
    this.#catalogList = new SourceCache(options);
    this.#catalogGet = new SourceCache(options);
    this.#namespaces = new SourceCache(options);
    this.#producers = new SourceCache(options);
  }

  /**
   * Built from the `datasets` section; undefined when neither a catalog nor Argo is configured.
   * `argo` reads `datasets.argo` (app/wiring/datasets.ts builds it).
   */
  static fromConfig(
    config: DatasetServiceConfig,
    deps: { env: Env; log: Logger; now: () => Date; argo?: CronWorkflowReader | undefined },
  ): CombinedDatasetService | undefined {
    if (!config.catalog && !config.argo) return undefined;
    return new CombinedDatasetService(config, {
      catalog: config.catalog
        ? HttpDatasetCatalog.fromConfig(config.catalog, {
            token: readSecret(deps.env, 'DATASET_CATALOG_TOKEN'),
          })
        : undefined,
      argo: config.argo ? deps.argo : undefined,
      log: deps.log,
      now: deps.now,
    });
  }

  #logged<T>(what: string, load: () => Promise<T>): () => Promise<T> {
    return () =>
      load().catch((error: unknown) => {
        this.#log.warn({ err: error }, `${what} failed`);
        throw error;
      });
  }

  #listCatalog(): Promise<Fetched<CatalogListing>> | undefined {
    const catalog = this.#deps.catalog;
    if (!catalog) return undefined;
    return this.#catalogList.get(
      'list',
      this.#logged('catalog list', () => catalog.list()),
    );
  }

  async names(): Promise<string[]> {
    const listing = await this.#listCatalog();
    return this.#withProducers(listing?.ok ? listing.value.datasets : []);
  }

  async allNames(): Promise<string[] | undefined> {
    const catalog = await this.catalogNames();
    if (catalog.kind === 'unreachable') return undefined;
    return this.#withProducers(catalog.kind === 'ok' ? catalog.names.map((name) => ({ name })) : []);
  }

  async catalogNames(): Promise<CatalogNames> {
    const listing = await this.#listCatalog();
    if (!listing) return { kind: 'none' };
    if (!listing.ok) return { kind: 'unreachable', error: listing.error };
    return { kind: 'ok', names: listing.value.datasets.map((d) => d.name) };
  }

  knownNames(): string[] {
    return this.#withProducers(this.#catalogList.last('list')?.value.datasets ?? []);
  }

  #withProducers(datasets: readonly Pick<CatalogDataset, 'name'>[]): string[] {
    const names = new Set(datasets.map((d) => d.name));
    for (const name of Object.keys(this.#config.producers)) names.add(name);
    return [...names].sort();
  }

  async overview(): Promise<DatasetOverview> {
    const now = this.#deps.now();
    const argo = this.#deps.argo;
    const namespaces = [...new Set(Object.values(this.#config.producers).map((p) => p.namespace))].sort();
    const [catalog, runs] = await Promise.all([
      this.#listCatalog(),
      argo
        ? Promise.all(
            namespaces.map(
              async (ns) =>
                [
                  ns,
                  await this.#namespaces.get(
                    ns,
                    this.#logged(`Argo namespace ${ns}`, () => argo.namespace(ns, this.#config.runsShown)),
                  ),
                ] as const,
            ),
          )
        : undefined,
    ]);
    const notices: string[] = [];
    const stamps: Date[] = [];

    const catalogOk = catalog?.ok ? catalog : undefined;
    const argoFailed = (runs ?? []).flatMap(([ns, r]) => (r.ok ? [] : [{ ns, error: r.error }]));
    const argoAllFailed = runs !== undefined && runs.length > 0 && argoFailed.length === runs.length;
    const argoUseful = runs !== undefined && runs.length > 0 && !argoAllFailed;
    if (!catalogOk && !argoUseful) {
      const parts = [
        ...(catalog && !catalog.ok ? [`${CATALOG_SYSTEM}: ${catalog.error}`] : []),
        ...(argoFailed[0] ? [`${ARGO_SYSTEM}: ${argoFailed[0].error}`] : []),
      ];
      throw new UpstreamError(
        'datasets',
        `${parts.length > 1 ? 'neither source answered' : 'the only source failed'} — ${parts.join('; ') || 'nothing to read: no producers are mapped'}. Try again in a minute.`,
      );
    }

    if (catalog) {
      if (!catalog.ok) notices.push(`catalog unreachable (${catalog.error}): showing run status only`);
      else {
        stamps.push(catalog.asOf);
        if (catalog.stale)
          notices.push(
            `catalog unreachable (${catalog.stale.error}): catalog data as of ${ago(now, catalog.asOf)}`,
          );
        if (catalog.value.skipped > 0)
          notices.push(
            `${catalog.value.skipped} catalog entries have no name (datasets.catalog.fields.name) and are left out`,
          );
        if (catalog.value.truncated)
          notices.push(
            `the catalog has more pages than datasets.catalog.pagination.maxPages allows; the rest are left out`,
          );
      }
    }
    const states = new Map<string, ProducerState>();
    const unreadNamespaces = new Set<string>();
    if (runs) {
      if (argoAllFailed) {
        notices.push(
          `${ARGO_SYSTEM} unreachable (${argoFailed[0]?.error ?? '?'}): showing catalog freshness only, failed runs are not detected`,
        );
      } else {
        for (const [ns, result] of runs) {
          if (!result.ok) {
            unreadNamespaces.add(ns);
            notices.push(
              `${ARGO_SYSTEM}: namespace ${ns} could not be read (${result.error}); its datasets show catalog freshness only`,
            );
            continue;
          }
          stamps.push(result.asOf);
          if (result.stale)
            notices.push(
              `${ARGO_SYSTEM}: namespace ${ns} unreachable (${result.stale.error}); its runs as of ${ago(now, result.asOf)}`,
            );
          for (const [name, state] of result.value) states.set(`${ns}/${name}`, state);
        }
      }
    } else if (this.#config.argo === undefined && Object.keys(this.#config.producers).length > 0) {
      notices.push('datasets.argo is not configured: run status is not shown');
    }
    const argoRead = runs !== undefined && !argoAllFailed;

    const catalogByName = new Map((catalogOk?.value.datasets ?? []).map((d) => [d.name, d]));
    const names = new Set(catalogByName.keys());
    for (const name of Object.keys(this.#config.producers)) names.add(name);
    const rows: DatasetRow[] = [...names].map((name) => {
      const data = catalogByName.get(name) ?? null;
      const ref = this.#config.producers[name] ?? null;
      const producer =
        ref && argoRead && !unreadNamespaces.has(ref.namespace)
          ? (states.get(`${ref.namespace}/${ref.cronWorkflow}`) ?? missingProducer(ref))
          : null;
      return {
        name,
        catalog: data,
        producerRef: ref,
        producer,
        status: evaluateStatus(
          { lastUpdated: data?.lastUpdated ?? null, freshnessSlaMs: data?.freshnessSlaMs ?? null, producer },
          now,
        ),
      };
    });
    rows.sort(compareByProblem);
    return { rows, notices, asOf: oldest(stamps, now) };
  }

  async detail(name: string): Promise<DatasetDetail | null> {
    const now = this.#deps.now();
    const catalog = this.#deps.catalog;
    const argo = this.#deps.argo;
    const ref = this.#config.producers[name] ?? null;
    // A fresh full list answers without another request; a truncated one may lack the name.
    const peeked = this.#catalogList.peek('list');
    const listed = peeked && !peeked.value.truncated ? peeked : undefined;
    const [data, state] = await Promise.all([
      listed
        ? ({
            ok: true,
            value: listed.value.datasets.find((d) => d.name === name) ?? null,
            asOf: listed.asOf,
            stale: null,
          } as const)
        : catalog
          ? this.#catalogGet.get(
              name,
              this.#logged(`catalog get ${name}`, () => catalog.get(name)),
            )
          : undefined,
      ref && argo
        ? this.#producers.get(
            name,
            this.#logged(`Argo producer of ${name}`, () => argo.producer(ref, this.#config.runsShown)),
          )
        : undefined,
    ]);
    const notices: string[] = [];
    const stamps: Date[] = [];
    if (!data?.ok && !state?.ok) {
      const parts = [
        ...(data && !data.ok ? [`${CATALOG_SYSTEM}: ${data.error}`] : []),
        ...(state && !state.ok ? [`${ARGO_SYSTEM}: ${state.error}`] : []),
      ];
      if (parts.length > 0)
        throw new UpstreamError(
          'datasets',
          `cannot show ${name} — ${parts.join('; ')}${state ? '' : ' (and no producer is mapped for it)'}. Try again in a minute.`,
        );
    }
    if (data?.ok && data.value === null && !ref) return null;
    if (!data && !ref) return null;

    if (data) {
      if (!data.ok) notices.push(`catalog unreachable (${data.error}): showing run status only`);
      else {
        stamps.push(data.asOf);
        if (data.stale)
          notices.push(
            `catalog unreachable (${data.stale.error}): catalog data as of ${ago(now, data.asOf)}`,
          );
        if (data.value === null)
          notices.push(`the catalog does not know ${name}; it is shown from its producer mapping`);
      }
    }
    if (state) {
      if (!state.ok)
        notices.push(
          `${ARGO_SYSTEM} unreachable (${state.error}): showing catalog freshness only, failed runs are not detected`,
        );
      else {
        stamps.push(state.asOf);
        if (state.stale)
          notices.push(
            `${ARGO_SYSTEM} unreachable (${state.stale.error}): runs as of ${ago(now, state.asOf)}`,
          );
      }
    } else if (ref && !argo) notices.push('datasets.argo is not configured: run status is not shown');
    const catalogData = data?.ok ? data.value : null;
    const producer = state?.ok ? state.value : null;
    return {
      row: {
        name,
        catalog: catalogData,
        producerRef: ref,
        producer,
        status: evaluateStatus(
          {
            lastUpdated: catalogData?.lastUpdated ?? null,
            freshnessSlaMs: catalogData?.freshnessSlaMs ?? null,
            producer,
          },
          now,
        ),
      },
      notices,
      asOf: oldest(stamps, now),
    };
  }
}

function oldest(stamps: readonly Date[], now: Date): Date {
  return stamps.reduce((min, at) => (at.getTime() < min.getTime() ? at : min), stamps[0] ?? now);
}
