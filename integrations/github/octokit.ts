import { paginateGraphQL } from '@octokit/plugin-paginate-graphql';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import { formatDuration } from '../../core/config/duration.ts';
import { reportingFetch } from '../../core/http/outbound.ts';
import { GitHubTimeoutError } from './octokitErrors.ts';

const PluggedOctokit = Octokit.plugin(throttling, retry, paginateGraphQL);
/**
 * Octokit with GitHub's throttling and retry plugins, as every dpbot GitHub client uses it, and
 * GraphQL paging (`graphql.paginate`: a query with a `$cursor` variable, asked again with each
 * page's `endCursor` until `hasNextPage` is false).
 */
export type GitHubOctokit = InstanceType<typeof PluggedOctokit>;

/**
 * How often one request waits out a rate limit (primary or secondary) before its error is
 * thrown. Counted apart from the retries of 5xx answers: a limit is GitHub asking to wait, not a
 * failure.
 */
export const RATE_LIMIT_RETRIES = 3;

/**
 * The longest rate-limit wait dpbot accepts, in seconds. A longer one (a primary limit reset
 * an hour away) fails at once with GitHub's answer: a command or a sync that hangs that long
 * helps nobody, and the next run starts fresh.
 */
export const LONGEST_RATE_LIMIT_WAIT_SECONDS = 120;

export interface GitHubOctokitOptions {
  /** REST base URL; Octokit derives the GraphQL URL from it. */
  apiUrl: string;
  token: string | undefined;
  userAgent: string;
  /**
   * Who the requests are: `read` runs GraphQL queries `readConcurrency` at a time with no spacing
   * (the throttling plugin spaces every GraphQL request a second apart as if it were a write, but
   * dpbot's queries are reads worth one point each), and the doctor's probes that GitHub refuses
   * unspaced too; `write` keeps the plugin's spacing for writes (a second apart, three seconds for
   * those that notify people, such as a comment).
   */
  purpose: 'read' | 'write';
  /** A writer whose writes wait no spacing (default spaced): only in front of a simulator. */
  spaced?: boolean;
  /** GraphQL reads in flight at once (purpose `read`; default 4). */
  readConcurrency?: number;
  /** Retries of a failed (5xx) answer, apart from rate limits (default 3). */
  retries?: number;
  /** Longest wait for one request; unset: only the caller's signal bounds it. */
  timeoutMs?: number;
  /**
   * The throttling plugin's limiter key: clients with the same id share its limits (the plugin's
   * limiters are process-wide).
   */
  throttleId: string;
  log: Logger;
}

/**
 * fetch with a deadline on every request: Octokit has no timeout of its own, so a GitHub that
 * stops answering would hold a command (and its Slack reply) forever.
 */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    try {
      return await fetch(input, { ...init, signal });
    } catch (error) {
      if (deadline.aborted)
        throw new GitHubTimeoutError(`no answer within ${formatDuration(timeoutMs)}`, { cause: error });
      throw error;
    }
  };
}

/**
 * The one Octokit set-up of dpbot, for releases and the directory alike: throttled and retried by
 * Octokit's own plugins, with one rate-limit behaviour. Primary and secondary limits are waited
 * out as GitHub asks (Retry-After, X-RateLimit-Reset), at most RATE_LIMIT_RETRIES times per
 * request and never longer than LONGEST_RATE_LIMIT_WAIT_SECONDS; 5xx answers are retried
 * `retries` times.
 */
export function createGitHubOctokit(options: GitHubOctokitOptions): GitHubOctokit {
  const log = options.log;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const again = retryCount < RATE_LIMIT_RETRIES && retryAfter <= LONGEST_RATE_LIMIT_WAIT_SECONDS;
      log.warn(
        { retryAfter, retryCount, method: request.method, url: request.url },
        `GitHub ${kind}; ${again ? 'retrying after the wait GitHub asked for' : 'giving up'}`,
      );
      return again;
    };
  return new PluggedOctokit({
    ...(options.token ? { auth: options.token } : {}),
    baseUrl: options.apiUrl.replace(/\/+$/, ''),
    userAgent: options.userAgent,
    request: {
      fetch: reportingFetch(
        'github',
        options.timeoutMs === undefined ? fetch : fetchWithTimeout(options.timeoutMs),
      ),
    },
    retry: { retries: options.retries ?? 3 },
    throttle: {
      id: options.throttleId,
      onRateLimit: onLimit('rate limit reached'),
      onSecondaryRateLimit: onLimit('secondary rate limit reached'),
      ...(options.purpose === 'read' || options.spaced === false
        ? {
            write: new Bottleneck.Group({ maxConcurrent: options.readConcurrency ?? 4, minTime: 0 }),
            // A reader's only POSTs are the doctor's probes, which GitHub refuses (an empty
            // comment, a release without a tag): nothing is created and nobody is notified, so
            // they need not wait the plugin's 3 s between notifying writes, one repository after another.
            notifications: new Bottleneck.Group({ maxConcurrent: options.readConcurrency ?? 4, minTime: 0 }),
          }
        : {}),
    },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => log.warn(message),
      // Octokit logs every failed request as an error, including those the client handles
      // (a 502 answered with a smaller page, a rate limit waited out); real failures are thrown.
      error: (message: string) => log.warn(message),
    },
  });
}
