import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import { TruncatedAnswerError, throwIfAborted } from '../../handlers/directory/sources/source.ts';
import type { ServiceAccountTokens } from './serviceAccountToken.ts';

/** The read-only scopes the directory sync needs (grant exactly these in domain-wide delegation). */
export const DIRECTORY_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.group.readonly',
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
] as const;

const SYSTEM = 'Google Directory';

export const googleUserSchema = z.looseObject({
  id: z.string(),
  primaryEmail: z.string(),
  name: z.looseObject({ fullName: z.string().optional() }).optional(),
  suspended: z.boolean().optional(),
  archived: z.boolean().optional(),
});
export type GoogleUser = z.output<typeof googleUserSchema>;

export const googleGroupSchema = z.looseObject({
  id: z.string(),
  email: z.string(),
  name: z.string().optional(),
  /** int64, sent as a string. */
  directMembersCount: z.coerce.number().int().nonnegative().optional(),
});
export type GoogleGroup = z.output<typeof googleGroupSchema>;

export const googleMemberSchema = z.looseObject({
  id: z.string().optional(),
  email: z.string().optional(),
  role: z.string().optional(),
  type: z.enum(['USER', 'GROUP', 'CUSTOMER', 'EXTERNAL']).or(z.string()),
  status: z.string().optional(),
});
export type GoogleMember = z.output<typeof googleMemberSchema>;

const errorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    errors: z.array(z.looseObject({ reason: z.string().optional() })).optional(),
  }),
});

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);
/** A loop guard: no real directory needs this many pages of one listing. */
const MAX_PAGES = 100_000;

export interface GoogleDirectoryClientOptions {
  apiUrl: string;
  tokens: ServiceAccountTokens;
  maxRetries: number;
  log: Logger;
}

/**
 * A small typed client of the Admin SDK Directory API (v1): the three listings the sync needs,
 * with pagination, retries of rate limits (429, 403 rateLimitExceeded) and server errors honouring
 * Retry-After, and a token refresh on 401.
 */
export class GoogleDirectoryClient {
  readonly #base: string;
  readonly #tokens: ServiceAccountTokens;
  readonly #maxRetries: number;
  readonly #log: Logger;

  constructor(options: GoogleDirectoryClientOptions) {
    this.#base = `${options.apiUrl.replace(/\/+$/, '')}/admin/directory/v1`;
    this.#tokens = options.tokens;
    this.#maxRetries = options.maxRetries;
    this.#log = options.log;
  }

  listUsers(
    query: { customer: string; domain?: string | undefined },
    signal: AbortSignal,
  ): Promise<GoogleUser[]> {
    return this.#listAll(
      '/users',
      { ...compact(query), maxResults: '500', projection: 'basic' },
      'users',
      googleUserSchema,
      signal,
    );
  }

  listGroups(
    query: { customer: string; domain?: string | undefined },
    signal: AbortSignal,
  ): Promise<GoogleGroup[]> {
    return this.#listAll(
      '/groups',
      { ...compact(query), maxResults: '200' },
      'groups',
      googleGroupSchema,
      signal,
    );
  }

  /** Direct members only: nesting is flattened by the caller, which can then check the counts. */
  listMembers(groupKey: string, signal: AbortSignal): Promise<GoogleMember[]> {
    return this.#listAll(
      `/groups/${encodeURIComponent(groupKey)}/members`,
      { maxResults: '200' },
      'members',
      googleMemberSchema,
      signal,
    );
  }

  async getGroup(groupKey: string, signal: AbortSignal): Promise<GoogleGroup> {
    const body = await this.#get(`/groups/${encodeURIComponent(groupKey)}`, {}, signal);
    const parsed = googleGroupSchema.safeParse(body);
    if (!parsed.success) throw new UpstreamError(SYSTEM, `unexpected answer for group ${groupKey}`);
    return parsed.data;
  }

  async #listAll<T>(
    path: string,
    query: Record<string, string>,
    key: string,
    schema: z.ZodType<T>,
    signal: AbortSignal,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.#get(path, pageToken ? { ...query, pageToken } : query, signal);
      const parsed = z
        .looseObject({ [key]: z.array(schema).optional(), nextPageToken: z.string().optional() })
        .safeParse(body);
      if (!parsed.success)
        throw new TruncatedAnswerError(SYSTEM, `page ${page + 1} of ${path} is not a ${key} listing`);
      const list = (parsed.data[key] ?? []) as T[];
      items.push(...list);
      const next = parsed.data.nextPageToken as string | undefined;
      if (!next) return items;
      if (seen.has(next))
        throw new TruncatedAnswerError(SYSTEM, `${path} returned page token "${next}" twice`);
      seen.add(next);
      pageToken = next;
    }
    throw new TruncatedAnswerError(SYSTEM, `${path} has more than ${MAX_PAGES} pages`);
  }

  async #get(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    const url = `${this.#base}${path}?${new URLSearchParams(query)}`;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal, SYSTEM);
      const token = await this.#tokens.token(signal);
      let response: Response;
      try {
        response = await fetch(url, {
          signal,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        });
      } catch (error) {
        throwIfAborted(signal, SYSTEM);
        if (attempt < this.#maxRetries) {
          await this.#wait(attempt, null, signal, `${path}: ${errorMessage(error)}`);
          continue;
        }
        throw new UpstreamError(SYSTEM, `cannot reach ${this.#base}: ${errorMessage(error)}`, undefined, {
          cause: error,
        });
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throwIfAborted(signal, SYSTEM);
        if (response.ok)
          throw new TruncatedAnswerError(SYSTEM, `${path}: the answer broke off (${errorMessage(error)})`);
        body = undefined;
      }
      if (response.ok) return body;

      const err = errorBodySchema.safeParse(body);
      const reasons = err.success ? (err.data.error.errors ?? []).map((e) => e.reason ?? '') : [];
      const message = err.success
        ? (err.data.error.message ?? `HTTP ${response.status}`)
        : `HTTP ${response.status}`;
      if (response.status === 401 && !refreshed) {
        refreshed = true;
        this.#tokens.invalidate();
        continue;
      }
      const rateLimited =
        response.status === 429 ||
        (response.status === 403 && reasons.some((r) => RATE_LIMIT_REASONS.has(r)));
      if ((rateLimited || response.status >= 500) && attempt < this.#maxRetries) {
        await this.#wait(
          attempt,
          response.headers.get('retry-after'),
          signal,
          `${path}: ${response.status} ${message}`,
        );
        continue;
      }
      throw new UpstreamError(SYSTEM, `${path} answered ${response.status}: ${message}`, response.status);
    }
  }

  /** Retry-After when the server sent one, else exponential backoff (0.5 s, 1 s, 2 s, … ≤ 30 s). */
  async #wait(attempt: number, retryAfter: string | null, signal: AbortSignal, why: string): Promise<void> {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    const ms =
      Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : Math.min(30_000, 500 * 2 ** attempt);
    this.#log.warn({ attempt: attempt + 1, waitMs: ms }, `Google Directory: retrying after ${why}`);
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      throwIfAborted(signal, SYSTEM);
    }
  }
}

function compact(query: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
}
