import type { Logger } from 'pino';
import { z } from 'zod';
import { TruncatedAnswerError, UpstreamError } from '../../core/errors.ts';
import { type HttpAnswer, type JsonCall, JsonClient } from '../../core/http/jsonClient.ts';
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

function reasonsOf(answer: HttpAnswer): string[] {
  const err = errorBodySchema.safeParse(answer.json);
  return err.success ? (err.data.error.errors ?? []).map((e) => e.reason ?? '') : [];
}

/** Google answers some rate limits with 403 and a reason instead of 429. */
function rateLimited(answer: HttpAnswer): boolean {
  return answer.status === 403 && reasonsOf(answer).some((r) => RATE_LIMIT_REASONS.has(r));
}

function directoryErrorFor(answer: HttpAnswer, call: JsonCall): UpstreamError {
  const err = errorBodySchema.safeParse(answer.json);
  const message = err.success ? (err.data.error.message ?? `HTTP ${answer.status}`) : `HTTP ${answer.status}`;
  return new UpstreamError(SYSTEM, `${call.context} answered ${answer.status}: ${message}`, answer.status);
}

/**
 * A small typed client of the Admin SDK Directory API (v1): the three listings the sync needs,
 * with pagination, the shared retry policy (rate limits, including 403 rateLimitExceeded, and
 * gateway errors, honouring Retry-After, else 0.5 s, 1 s, 2 s, … up to 30 s), and a token refresh
 * on 401. The sync's signal bounds the whole exchange, so there is no per-request timeout.
 */
export class GoogleDirectoryClient {
  readonly #http: JsonClient;

  constructor(options: GoogleDirectoryClientOptions) {
    const { tokens } = options;
    this.#http = new JsonClient({
      system: SYSTEM,
      metricsSystem: 'directory',
      baseUrl: `${options.apiUrl.replace(/\/+$/, '')}/admin/directory/v1`,
      retry: { retries: options.maxRetries, baseDelayMs: 500, maxWaitMs: 30_000 },
      authorization: async (signal) => `Bearer ${await tokens.token(signal)}`,
      onUnauthorized: () => {
        tokens.invalidate();
        return true;
      },
      rateLimited,
      errorFor: directoryErrorFor,
      log: options.log,
    });
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

  #get(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    return this.#http.request({ url: path, query, signal, context: path });
  }
}

function compact(query: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
}
