import { type Fault, type SimRequest, type SimResponse, Simulator } from '../http.ts';

export interface SimGithubMember {
  login: string;
  name?: string;
  /** E-mails on the organization's verified domains. */
  verifiedEmails?: string[];
}

export interface SimTeam {
  slug: string;
  name?: string;
  /** The parent team's slug. */
  parent?: string;
  /** Direct members (logins); child teams' members are added when listing, as GitHub does. */
  members: string[];
}

export interface GithubTeamsData {
  org: string;
  members: SimGithubMember[];
  teams: SimTeam[];
}

const DOCS = 'https://docs.github.com/rest';

/** GitHub's primary rate limit answer (403, X-RateLimit-Remaining: 0, reset in a second). */
export function githubPrimaryRateLimitFault(times: number, path = /./): Fault {
  return {
    path,
    status: 403,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
      'x-ratelimit-resource': 'core',
    },
    body: {
      message: 'API rate limit exceeded for user ID 1.',
      documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
    },
    times,
  };
}

/** GitHub's secondary rate limit answer (403 or 429 with Retry-After). */
export function githubSecondaryRateLimitFault(
  times: number,
  options: { status?: 403 | 429; path?: RegExp } = {},
): Fault {
  return {
    path: options.path ?? /./,
    status: options.status ?? 429,
    headers: { 'retry-after': '1' },
    body: {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
    },
    times,
  };
}

const cursor = (n: number) => Buffer.from(`cursor:v2:${n}`).toString('base64');
function offsetOf(after: unknown): number {
  if (typeof after !== 'string' || after === '') return 0;
  const m = /^cursor:v2:(\d+)$/.exec(Buffer.from(after, 'base64').toString('utf8'));
  return m ? Number(m[1]) : 0;
}

/**
 * GitHub's REST (org teams, team members with child teams) and GraphQL (team member counts,
 * members' verified-domain e-mails) for one organization, on loopback, with Link-header and
 * cursor pagination, token checks and GitHub's rate-limit answers (through `inject`).
 */
export class GithubTeamsSimulator extends Simulator {
  data: GithubTeamsData;
  readonly token: string;
  /** Team member listings stop after the first page (no Link rel="next") for these slugs. */
  truncateTeams = new Set<string>();

  constructor(data: GithubTeamsData, options: { token?: string } = {}) {
    super('github-teams');
    this.data = data;
    this.token = options.token ?? 'ghp_simulatedTeamsToken000000000000000';
    this.route('GET', '/orgs/:org/teams', (req) => this.#authed(req, () => this.#teams(req)));
    this.route('GET', '/orgs/:org/teams/:slug/members', (req) =>
      this.#authed(req, () => this.#teamMembers(req)),
    );
    this.route('POST', '/graphql', (req) => this.#authed(req, () => this.#graphql(req)));
  }

  #authed(req: SimRequest, handle: () => SimResponse): SimResponse {
    const token = /^(?:token|Bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token !== this.token)
      return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } };
    if (req.params.org !== undefined && req.params.org.toLowerCase() !== this.data.org.toLowerCase())
      return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
    return handle();
  }

  #paged(req: SimRequest, items: unknown[], truncated = false): SimResponse {
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30)));
    const page = Math.max(1, Number(req.query.get('page') ?? 1));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `<${this.url}${req.path}?${q}>; rel="${rel}"`;
    };
    const links = page < last && !truncated ? [link(page + 1, 'next'), link(last, 'last')] : [];
    return { body: slice, headers: links.length ? { link: links.join(', ') } : {} };
  }

  #teamJson(t: SimTeam) {
    const id = this.data.teams.indexOf(t) + 1;
    const parent = t.parent ? this.data.teams.find((p) => p.slug === t.parent) : undefined;
    const base = (x: SimTeam, n: number) => ({
      id: n,
      node_id: Buffer.from(`04:Team${n}`).toString('base64'),
      url: `${this.url}/organizations/1/team/${n}`,
      html_url: `https://github.com/orgs/${this.data.org}/teams/${x.slug}`,
      name: x.name ?? x.slug,
      slug: x.slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${this.url}/organizations/1/team/${n}/members{/member}`,
      repositories_url: `${this.url}/organizations/1/team/${n}/repos`,
    });
    return { ...base(t, id), parent: parent ? base(parent, this.data.teams.indexOf(parent) + 1) : null };
  }

  #teams(req: SimRequest): SimResponse {
    return this.#paged(
      req,
      this.data.teams.map((t) => this.#teamJson(t)),
    );
  }

  /** Direct members and those of every descendant team, once each. */
  membersOf(slug: string, seen = new Set<string>()): string[] {
    if (seen.has(slug)) return [];
    seen.add(slug);
    const team = this.data.teams.find((t) => t.slug === slug);
    if (!team) return [];
    const children = this.data.teams.filter((t) => t.parent === slug);
    return [...new Set([...team.members, ...children.flatMap((c) => this.membersOf(c.slug, seen))])];
  }

  #userJson(login: string) {
    const id = this.data.members.findIndex((m) => m.login === login) + 1000;
    return {
      login,
      id,
      node_id: Buffer.from(`04:User${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      url: `${this.url}/users/${login}`,
      html_url: `https://github.com/${login}`,
      type: 'User',
      site_admin: false,
    };
  }

  #teamMembers(req: SimRequest): SimResponse {
    const slug = req.params.slug ?? '';
    if (!this.data.teams.some((t) => t.slug === slug))
      return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
    const logins = this.membersOf(slug);
    return this.#paged(
      req,
      logins.map((l) => this.#userJson(l)),
      this.truncateTeams.has(slug),
    );
  }

  #graphql(req: SimRequest): SimResponse {
    const { query, variables } = (req.body ?? {}) as { query?: string; variables?: Record<string, unknown> };
    if (typeof query !== 'string')
      return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } };
    const org = variables?.org;
    if (typeof org !== 'string' || org.toLowerCase() !== this.data.org.toLowerCase())
      return {
        body: {
          data: { organization: null },
          errors: [
            {
              type: 'NOT_FOUND',
              path: ['organization'],
              message: `Could not resolve to an Organization with the login of '${String(org)}'.`,
            },
          ],
        },
      };
    const first = Math.min(100, Number(/first:\s*(\d+)/.exec(query)?.[1] ?? 100));
    const offset = offsetOf(variables?.after);
    const page = <T>(items: T[]) => {
      const nodes = items.slice(offset, offset + first);
      const end = offset + nodes.length;
      return {
        totalCount: items.length,
        pageInfo: { hasNextPage: end < items.length, endCursor: nodes.length ? cursor(end) : null },
        nodes,
      };
    };
    if (query.includes('membersWithRole')) {
      const members = this.data.members.map((m) => ({
        login: m.login,
        name: m.name ?? null,
        organizationVerifiedDomainEmails: m.verifiedEmails ?? [],
      }));
      return { body: { data: { organization: { membersWithRole: page(members) } } } };
    }
    if (query.includes('teams(')) {
      const teams = this.data.teams.map((t) => ({
        slug: t.slug,
        members: { totalCount: this.membersOf(t.slug).length },
      }));
      return { body: { data: { organization: { teams: page(teams) } } } };
    }
    return { body: { errors: [{ message: 'the github-teams simulator does not answer this query' }] } };
  }
}
