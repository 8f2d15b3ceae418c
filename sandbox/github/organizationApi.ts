import type { SimRequest, SimResponse } from '../http.ts';
import type { GithubTeamsData, SimTeam } from './githubData.ts';
import { idOf, nodeId, notFound, paged, simpleUser } from './restJson.ts';

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

  /** A team as GitHub lists one (`team`, its parent a `team-simple`): an organization's, not an enterprise's. */
  #teamJson(t: SimTeam) {
    const api = this.#baseUrl();
    const orgId = idOf(`org:${this.data.org.toLowerCase()}`);
    const base = (x: SimTeam) => {
      const id = idOf(`team:${this.data.org.toLowerCase()}/${x.slug}`);
      const url = `${api}/organizations/${orgId}/team/${id}`;
      return {
        id,
        node_id: nodeId('Team', id),
        url,
        html_url: `https://github.com/orgs/${this.data.org}/teams/${x.slug}`,
        name: x.name ?? x.slug,
        slug: x.slug,
        description: null,
        privacy: 'closed',
        notification_setting: 'notifications_enabled',
        permission: 'pull',
        members_url: `${url}/members{/member}`,
        repositories_url: `${url}/repos`,
        type: 'organization',
        organization_id: orgId,
      };
    };
    const parent = t.parent ? this.data.teams.find((p) => p.slug === t.parent) : undefined;
    return { ...base(t), parent: parent ? base(parent) : null };
  }

  /** GET /orgs/:org/teams */
  teams(req: SimRequest): SimResponse {
    return paged(
      this.#baseUrl(),
      req,
      this.data.teams.map((t) => this.#teamJson(t)),
    );
  }

  /** GET /orgs/:org/teams/:slug/members */
  teamMembers(req: SimRequest): SimResponse {
    const slug = req.params.slug ?? '';
    if (!this.data.teams.some((t) => t.slug === slug)) return notFound;
    return paged(
      this.#baseUrl(),
      req,
      membersOf(this.data, slug).map((login) => simpleUser(this.#baseUrl(), login)),
      { truncated: this.truncateTeams.has(slug) },
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
