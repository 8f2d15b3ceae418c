import { UpstreamError } from '../../core/errors.ts';
import { CACHED_READ_RETRY } from '../../core/http/httpJson.ts';
import { bearer, JsonClient } from '../../core/http/jsonClient.ts';
import type { CatalogDataset } from './catalogDataset.ts';
import type { CatalogConfig } from './config.ts';
import { mapDataset, readPath } from './fieldMapping.ts';

export const CATALOG_SYSTEM = 'dataset catalog';
/** The environment variable (or _FILE) holding the catalog's bearer token. */
export const CATALOG_TOKEN_ENV = 'DATASET_CATALOG_TOKEN';

export interface CatalogListing {
  datasets: CatalogDataset[];
  /** Entries the mapping could not read (no name), and a list cut at maxPages: said in answers. */
  skipped: number;
  truncated: boolean;
}

/** The data platform's dataset catalog. */
export interface DatasetCatalog {
  /** Every dataset (all pages). */
  list(): Promise<CatalogListing>;
  /** One dataset, or null when the catalog does not know it. */
  get(name: string): Promise<CatalogDataset | null>;
}

/**
 * A catalog over HTTP: a JSON list endpoint (paginated by page/limit, by cursor, or not at all)
 * and a get endpoint, read through the configured field mapping.
 */
export class HttpDatasetCatalog implements DatasetCatalog {
  readonly #config: CatalogConfig;
  readonly #http: JsonClient;

  constructor(config: CatalogConfig, token?: string) {
    this.#config = config;
    this.#http = new JsonClient({
      system: CATALOG_SYSTEM,
      metricsSystem: 'catalog',
      baseUrl: config.url,
      timeoutMs: config.timeout,
      // Every read goes through the dataset service's cache, which answers when this fails.
      retry: CACHED_READ_RETRY,
      credential: CATALOG_TOKEN_ENV,
      ...(token ? { authorization: () => bearer(token) } : {}),
    });
  }

  static fromConfig(config: CatalogConfig, deps: { token?: string | undefined }): HttpDatasetCatalog {
    return new HttpDatasetCatalog(config, deps.token);
  }

  #get(path: string, query: Record<string, string> = {}): Promise<unknown> {
    return this.#http.request({ url: path, query, expectBody: true });
  }

  #items(body: unknown): unknown[] {
    const items = readPath(body, this.#config.itemsPath);
    if (!Array.isArray(items)) {
      throw new UpstreamError(
        CATALOG_SYSTEM,
        `the list response has no array at "${this.#config.itemsPath || '(the body)'}" (datasets.catalog.itemsPath)`,
      );
    }
    return items;
  }

  async list(): Promise<CatalogListing> {
    const { pagination: p, listPath } = this.#config;
    const raw: unknown[] = [];
    let truncated = false;
    if (p.type === 'none') {
      raw.push(...this.#items(await this.#get(listPath)));
    } else if (p.type === 'page') {
      for (let i = 0; ; i++) {
        if (i >= p.maxPages) {
          truncated = true;
          break;
        }
        const page = this.#items(
          await this.#get(listPath, {
            [p.pageParam]: String(p.firstPage + i),
            [p.limitParam]: String(p.pageSize),
          }),
        );
        raw.push(...page);
        if (page.length < p.pageSize) break;
      }
    } else {
      let cursor: string | undefined;
      const seen = new Set<string>();
      for (let i = 0; ; i++) {
        if (i >= p.maxPages) {
          truncated = true;
          break;
        }
        const query: Record<string, string> = { [p.limitParam]: String(p.pageSize) };
        if (cursor !== undefined) query[p.cursorParam] = cursor;
        const body = await this.#get(listPath, query);
        raw.push(...this.#items(body));
        const next = readPath(body, p.nextCursorPath);
        if (typeof next !== 'string' && typeof next !== 'number') break;
        cursor = String(next);
        if (cursor === '' || seen.has(cursor)) break;
        seen.add(cursor);
      }
    }
    const byName = new Map<string, CatalogDataset>();
    let skipped = 0;
    for (const item of raw) {
      const dataset = mapDataset(item, this.#config);
      if (dataset) byName.set(dataset.name, dataset);
      else skipped++;
    }
    return { datasets: [...byName.values()], skipped, truncated };
  }

  async get(name: string): Promise<CatalogDataset | null> {
    if (this.#config.getPath === '') {
      return (await this.list()).datasets.find((d) => d.name === name) ?? null;
    }
    const path = this.#config.getPath.replaceAll('{name}', encodeURIComponent(name));
    try {
      return mapDataset(await this.#get(path), this.#config);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return null;
      throw error;
    }
  }
}
