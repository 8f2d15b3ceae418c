import { type SimRequest, type SimResponse, Simulator } from '../http.ts';
import type { CatalogItem } from './demoWorld.ts';

export type CatalogPagination = 'none' | 'page' | 'cursor';

export interface CatalogSimulatorOptions {
  items: CatalogItem[];
  pagination: CatalogPagination;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest page the catalog serves, whatever `limit` asks. */
  maxLimit?: number;
}

const cursorOf = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function offsetOf(cursor: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/**
 * A dataset catalog over HTTP as data platforms commonly expose one: `GET /api/v1/datasets`
 * (page/limit, cursor or unpaginated, chosen per simulator) and `GET /api/v1/datasets/{name}`.
 * `items` is live: tests change it to see what dpbot notices and when.
 */
export function catalogSimulator(options: CatalogSimulatorOptions): Simulator & { items: CatalogItem[] } {
  const sim = new Simulator('dataset catalog') as Simulator & { items: CatalogItem[] };
  sim.items = options.items;
  const maxLimit = options.maxLimit ?? 200;

  const authorized = (req: SimRequest): SimResponse | undefined => {
    if (!options.token) return undefined;
    if (req.headers.authorization === `Bearer ${options.token}`) return undefined;
    return { status: 401, body: { error: 'unauthorized', message: 'missing or invalid bearer token' } };
  };
  const sorted = () => [...sim.items].sort((a, b) => a.name.localeCompare(b.name));
  const limitOf = (req: SimRequest): number | SimResponse => {
    const raw = req.query.get('limit') ?? '50';
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1)
      return {
        status: 400,
        body: { error: 'bad_request', message: `limit must be a positive integer, got "${raw}"` },
      };
    return Math.min(limit, maxLimit);
  };

  sim.route('GET', '/api/v1/datasets', (req) => {
    const denied = authorized(req);
    if (denied) return denied;
    const all = sorted();
    if (options.pagination === 'none') return { body: { data: all } };
    const limit = limitOf(req);
    if (typeof limit !== 'number') return limit;
    if (options.pagination === 'page') {
      const page = Number(req.query.get('page') ?? '1');
      if (!Number.isInteger(page) || page < 1)
        return { status: 400, body: { error: 'bad_request', message: 'page must be an integer ≥ 1' } };
      return {
        body: { data: all.slice((page - 1) * limit, page * limit), page, limit, total: all.length },
      };
    }
    const cursor = req.query.get('cursor');
    const offset = cursor === null ? 0 : offsetOf(cursor);
    if (offset === undefined)
      return {
        status: 400,
        body: { error: 'bad_request', message: 'cursor is not one this catalog gave out' },
      };
    const end = offset + limit;
    return { body: { data: all.slice(offset, end), next_cursor: end < all.length ? cursorOf(end) : null } };
  });

  sim.route('GET', '/api/v1/datasets/:name', (req) => {
    const denied = authorized(req);
    if (denied) return denied;
    const item = sim.items.find((d) => d.name === req.params.name);
    if (!item)
      return { status: 404, body: { error: 'not_found', message: `dataset "${req.params.name}" not found` } };
    return { body: item };
  });
  return sim;
}
