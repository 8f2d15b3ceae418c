import type { SimRequest, SimResponse } from '../http.ts';
import type { GithubTeamsData, SimTeam } from './githubData.ts';

const DOCS = 'https://docs.github.com/rest';

const cursor = (n: number) => Buffer.from(`cursor:v2:${n}`).toString('base64');
function offsetOf(after: unknown): number {
  if (typeof after !== 'string' || after === '') return 0;
  const m = /^cursor:v2:(\d+)$/.exec(Buffer.from(after, 'base64').toString('utf8'));
  return m ? Number(m[1]) : 0;
}

/** The GraphQL operations an organization answers (the others are about repositories). */
export const organizationOperations: ReadonlySet<string> = new Set([
  'DpbotOrgMemberEmails',
  'DpbotTeamMemberCounts',
]);

export const notFound: SimResponse = { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };

/** Direct members of a team and those of every descendant team, once each. */
export function membersOf(org: GithubTeamsData, slug: string, seen = new Set<string>()): string[] {
  if (seen.has(slug)) return [];
  seen.add(slug);
  const team = org.teams.find((t) => t.slug === slug);
  if (!team) return [];
  const children = org.teams.filter((t) => t.parent === slug);
  return [...new Set([...team.members, ...children.flatMap((c) => membersOf(org, c.slug, seen))])];
}

/**
 * An organization's REST (teams, team members with child teams) and GraphQL (team member counts,
 * members' verified-domain e-mails) answers, with Link-header and cursor pagination.
 */
export class OrganizationApi {
  readonly data: GithubTeamsData;
  readonly #baseUrl: () => string;
  /** Team member listings stop after the first page (no Link rel="next") for these slugs. */
  readonly truncateTeams: Set<string>;

  constructor(data: GithubTeamsData, baseUrl: () => string, truncateTeams: Set<string>) {
    this.data = data;
    this.#baseUrl = baseUrl;
    this.truncateTeams = truncateTeams;
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
      return `<${this.#baseUrl()}${req.path}?${q}>; rel="${rel}"`;
    };
    const links = page < last && !truncated ? [link(page + 1, 'next'), link(last, 'last')] : [];
    return { body: slice, headers: links.length ? { link: links.join(', ') } : {} };
  }

  #teamJson(t: SimTeam) {
    const url = this.#baseUrl();
    const base = (x: SimTeam, n: number) => ({
      id: n,
      node_id: Buffer.from(`04:Team${n}`).toString('base64'),
      url: `${url}/organizations/1/team/${n}`,
      html_url: `https://github.com/orgs/${this.data.org}/teams/${x.slug}`,
      name: x.name ?? x.slug,
      slug: x.slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${url}/organizations/1/team/${n}/members{/member}`,
      repositories_url: `${url}/organizations/1/team/${n}/repos`,
    });
    const parent = t.parent ? this.data.teams.find((p) => p.slug === t.parent) : undefined;
    return {
      ...base(t, this.data.teams.indexOf(t) + 1),
      parent: parent ? base(parent, this.data.teams.indexOf(parent) + 1) : null,
    };
  }

  #userJson(login: string) {
    const id = this.data.members.findIndex((m) => m.login === login) + 1000;
    return {
      login,
      id,
      node_id: Buffer.from(`04:User${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      url: `${this.#baseUrl()}/users/${login}`,
      html_url: `https://github.com/${login}`,
      type: 'User',
      site_admin: false,
    };
  }

  /** GET /orgs/:org/teams */
  teams(req: SimRequest): SimResponse {
    return this.#paged(
      req,
      this.data.teams.map((t) => this.#teamJson(t)),
    );
  }

  /** GET /orgs/:org/teams/:slug/members */
  teamMembers(req: SimRequest): SimResponse {
    const slug = req.params.slug ?? '';
    if (!this.data.teams.some((t) => t.slug === slug)) return notFound;
    return this.#paged(
      req,
      membersOf(this.data, slug).map((l) => this.#userJson(l)),
      this.truncateTeams.has(slug),
    );
  }

  /** The organization's GraphQL operations, by name; undefined for one it does not answer. */
  graphql(operation: string | undefined, query: string, variables: Record<string, unknown>) {
    const first = Math.min(100, Number(/first:\s*(\d+)/.exec(query)?.[1] ?? 100));
    const offset = offsetOf(variables.after);
    const page = <T>(items: T[]) => {
      const nodes = items.slice(offset, offset + first);
      const end = offset + nodes.length;
      return {
        totalCount: items.length,
        pageInfo: { hasNextPage: end < items.length, endCursor: nodes.length ? cursor(end) : null },
        nodes,
      };
    };
    switch (operation) {
      case 'DpbotOrgMemberEmails': {
        const members = this.data.members.map((m) => ({
          login: m.login,
          name: m.name ?? null,
          organizationVerifiedDomainEmails: m.verifiedEmails ?? [],
        }));
        return { body: { data: { organization: { membersWithRole: page(members) } } } };
      }
      case 'DpbotTeamMemberCounts': {
        const teams = this.data.teams.map((t) => ({
          slug: t.slug,
          members: { totalCount: membersOf(this.data, t.slug).length },
        }));
        return { body: { data: { organization: { teams: page(teams) } } } };
      }
      default:
        return undefined;
    }
  }
}

/** GraphQL's answer for an organization login it does not know. */
export function organizationNotFound(login: unknown): SimResponse {
  return {
    body: {
      data: { organization: null },
      errors: [
        {
          type: 'NOT_FOUND',
          path: ['organization'],
          message: `Could not resolve to an Organization with the login of '${String(login)}'.`,
        },
      ],
    },
  };
}
