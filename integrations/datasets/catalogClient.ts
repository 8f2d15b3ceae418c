import { UpstreamError } from '../../core/errors.ts';
import { getJson } from '../../core/http/httpJson.ts';
import type { CatalogConfig } from './config.ts';
import { mapDataset, readPath } from './fieldMapping.ts';
import type { CatalogDataset } from './types.ts';

export const CATALOG_SYSTEM = 'dataset catalog';

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
  readonly #token: string | undefined;

  constructor(config: CatalogConfig, token?: string) {
    this.#config = config;
    this.#token = token;
  }

  static fromConfig(config: CatalogConfig, deps: { token?: string | undefined }): HttpDatasetCatalog {
    return new HttpDatasetCatalog(config, deps.token);
  }

  #url(path: string, query: Record<string, string> = {}): URL {
    // Paths are appended to the base URL's own path, so a catalog behind /catalog/ works.
    const base = new URL(this.#config.url);
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  #get(url: URL): Promise<unknown> {
    return getJson({ system: CATALOG_SYSTEM, url, token: this.#token, timeoutMs: this.#config.timeout });
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
      raw.push(...this.#items(await this.#get(this.#url(listPath))));
    } else if (p.type === 'page') {
      for (let i = 0; ; i++) {
        if (i >= p.maxPages) {
          truncated = true;
          break;
        }
        const page = this.#items(
          await this.#get(
            this.#url(listPath, {
              [p.pageParam]: String(p.firstPage + i),
              [p.limitParam]: String(p.pageSize),
            }),
          ),
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
        const body = await this.#get(this.#url(listPath, query));
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
      return mapDataset(await this.#get(this.#url(path)), this.#config);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return null;
      throw error;
    }
  }
}
