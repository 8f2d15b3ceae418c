import type { Logger } from 'pino';
import { errorMessage, TruncatedAnswerError, UpstreamError } from '../../core/errors.ts';
import { throwIfAborted } from '../../core/http/abort.ts';
import type { GitHubOctokit, GitHubOctokitOptions } from './octokit.ts';
import { statusOf } from './octokitErrors.ts';
import { ORG_MEMBER_EMAILS_QUERY, TEAM_MEMBER_COUNTS_QUERY } from './queries.ts';

const SYSTEM = 'GitHub';

export interface GithubTeam {
  id: number;
  slug: string;
  name: string;
  parentSlug: string | null;
}

export interface GithubOrgMember {
  login: string;
  name: string | null;
  /** E-mails on the organization's verified domains (GraphQL `organizationVerifiedDomainEmails`). */
  verifiedEmails: string[];
}

export interface GithubTeamsClientOptions {
  apiUrl: string;
  token: string;
  /** Retries of 5xx answers; rate limits are waited out apart from them (see createGitHubOctokit). */
  maxRetries: number;
  log: Logger;
}

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

/** A GraphQL connection must not page forever; no organization has this many pages. */
const MAX_PAGES = 10_000;

/**
 * GitHub organization teams through Octokit (REST for teams and members, GraphQL for counts and
 * verified e-mails), throttled and retried as every dpbot GitHub client is (createGitHubOctokit).
 * No per-request deadline: the sync's signal bounds the whole fetch.
 */
export class GithubTeamsClient {
  readonly #options: GitHubOctokitOptions;
  #octokit: Promise<GitHubOctokit> | undefined;
  readonly #log: Logger;

  constructor(options: GithubTeamsClientOptions) {
    this.#log = options.log;
    this.#options = {
      apiUrl: options.apiUrl,
      token: options.token,
      userAgent: 'dpbot-directory-sync',
      purpose: 'read',
      retries: options.maxRetries,
      throttleId: 'dpbot-directory',
      log: options.log,
    };
  }

  /** Octokit, loaded at the first call: a dpbot whose directory has no GitHub source never loads it. */
  #client(): Promise<GitHubOctokit> {
    this.#octokit ??= import('./octokit.ts').then(({ createGitHubOctokit }) =>
      createGitHubOctokit(this.#options),
    );
    return this.#octokit;
  }

  async listTeams(org: string, signal: AbortSignal): Promise<GithubTeam[]> {
    const octokit = await this.#client();
    const teams = await this.#call(`teams of ${org}`, signal, () =>
      octokit.paginate(octokit.rest.teams.list, { org, per_page: 100, request: { signal } }),
    );
    return teams.map((t) => ({ id: t.id, slug: t.slug, name: t.name, parentSlug: t.parent?.slug ?? null }));
  }

  /** Logins of a team's members; GitHub includes the members of its child teams. */
  async listTeamMembers(org: string, teamSlug: string, signal: AbortSignal): Promise<string[]> {
    const octokit = await this.#client();
    const members = await this.#call(`members of team ${teamSlug}`, signal, () =>
      octokit.paginate(octokit.rest.teams.listMembersInOrg, {
        org,
        team_slug: teamSlug,
        role: 'all',
        per_page: 100,
        request: { signal },
      }),
    );
    return members.map((m) => m.login);
  }

  /** How many teams there are and how many members each has (child teams included), to check the listings. */
  async teamMemberCounts(
    org: string,
    signal: AbortSignal,
  ): Promise<{ total: number; members: Map<string, number> }> {
    const members = new Map<string, number>();
    let total = 0;
    await this.#connection(
      org,
      TEAM_MEMBER_COUNTS_QUERY,
      (data) => {
        const teams = (
          data as {
            organization: {
              teams: {
                totalCount: number;
                pageInfo: PageInfo;
                nodes: { slug: string; members: { totalCount: number } }[];
              };
            };
          }
        ).organization.teams;
        total = teams.totalCount;
        for (const t of teams.nodes) members.set(t.slug, t.members.totalCount);
        return teams.pageInfo;
      },
      signal,
    );
    return { total, members };
  }

  async listMembersWithEmails(
    org: string,
    signal: AbortSignal,
  ): Promise<{ total: number; members: GithubOrgMember[] }> {
    const members: GithubOrgMember[] = [];
    let total = 0;
    await this.#connection(
      org,
      ORG_MEMBER_EMAILS_QUERY,
      (data) => {
        const conn = (
          data as {
            organization: {
              membersWithRole: {
                totalCount: number;
                pageInfo: PageInfo;
                nodes: { login: string; name: string | null; organizationVerifiedDomainEmails: string[] }[];
              };
            };
          }
        ).organization.membersWithRole;
        total = conn.totalCount;
        for (const n of conn.nodes)
          members.push({ login: n.login, name: n.name, verifiedEmails: n.organizationVerifiedDomainEmails });
        return conn.pageInfo;
      },
      signal,
    );
    return { total, members };
  }

  /** Every page of a connection (graphql.paginate), each handed to `take` as it comes. */
  async #connection(
    org: string,
    query: string,
    take: (data: unknown) => PageInfo,
    signal: AbortSignal,
  ): Promise<void> {
    const octokit = await this.#client();
    const pages = octokit.graphql.paginate
      .iterator<unknown>(query, { org, request: { signal } })
      [Symbol.asyncIterator]();
    // The plugin notices a cursor that stays the same from one page to the next; one that comes
    // back after others would page forever, so dpbot still keeps the cursors it has seen.
    const seen = new Set<string>();
    for (let page = 0; page < MAX_PAGES; page++) {
      let next: IteratorResult<unknown>;
      try {
        next = await this.#call('GraphQL', signal, () => pages.next());
      } catch (error) {
        // The plugin's own errors about the answer's shape (its message holds the whole answer).
        const name = error instanceof UpstreamError && error.cause instanceof Error ? error.cause.name : '';
        if (name === 'MissingPageInfo')
          throw new TruncatedAnswerError(SYSTEM, 'unexpected GraphQL answer: no pageInfo');
        if (name === 'MissingCursorChangeError')
          throw new TruncatedAnswerError(SYSTEM, 'a GraphQL cursor repeated');
        throw error;
      }
      if (next.done) return;
      let info: PageInfo;
      try {
        info = take(next.value);
      } catch (error) {
        throw new TruncatedAnswerError(SYSTEM, `unexpected GraphQL answer: ${errorMessage(error)}`);
      }
      if (!info.hasNextPage) return;
      if (!info.endCursor || seen.has(info.endCursor))
        throw new TruncatedAnswerError(SYSTEM, 'a GraphQL cursor repeated');
      seen.add(info.endCursor);
    }
    throw new TruncatedAnswerError(SYSTEM, `more than ${MAX_PAGES} GraphQL pages`);
  }

  async #call<T>(what: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throwIfAborted(signal, SYSTEM);
      if (error instanceof UpstreamError) throw error;
      const status = statusOf(error);
      this.#log.debug({ err: error }, `GitHub: ${what} failed`);
      throw new UpstreamError(SYSTEM, `${what}: ${errorMessage(error)}`, status, { cause: error });
    }
  }
}
