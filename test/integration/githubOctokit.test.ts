import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GithubTeamsClient } from '../../integrations/github/githubTeamsClient.ts';
import { createGitHubOctokit, RATE_LIMIT_RETRIES } from '../../integrations/github/octokit.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';

const log = pino({ level: 'silent' });
const sim = new GitHubSimulator({
  token: 'ghs-octokit',
  organizations: [
    { org: 'acme', members: [{ login: 'ada-l' }], teams: [{ slug: 'core', members: ['ada-l'] }] },
  ],
});
const octokit = () =>
  createGitHubOctokit({
    apiUrl: sim.url,
    token: 'ghs-octokit',
    userAgent: 'dpbot-test',
    purpose: 'read',
    throttleId: 'dpbot-octokit-test',
    log,
  });
const teamListings = (from: number) =>
  sim.requests.slice(from).filter((r) => r.path === '/orgs/acme/teams').length;

beforeAll(() => sim.start());
afterAll(() => sim.stop());

describe('the one Octokit set-up (throttling and retry plugins, one rate-limit behaviour)', () => {
  it(`waits out a rate limit ${RATE_LIMIT_RETRIES} times, then fails with GitHub's answer`, async () => {
    sim.secondaryLimit(RATE_LIMIT_RETRIES + 1, 1);
    const before = sim.requests.length;
    const error = await octokit()
      .rest.teams.list({ org: 'acme' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403 });
    expect(String(error)).toContain('secondary rate limit');
    expect(teamListings(before)).toBe(RATE_LIMIT_RETRIES + 1);
  });

  it('does not wait when GitHub asks for more than two minutes', async () => {
    sim.secondaryLimit(1, 600);
    const before = sim.requests.length;
    await expect(octokit().rest.teams.list({ org: 'acme' })).rejects.toMatchObject({ status: 403 });
    expect(teamListings(before)).toBe(1);
  });

  it('gives the directory client the same behaviour: a limit within bounds is waited out', async () => {
    sim.secondaryLimit(1, 1);
    const before = sim.requests.length;
    const client = new GithubTeamsClient({ apiUrl: sim.url, token: 'ghs-octokit', maxRetries: 0, log });
    const teams = await client.listTeams('acme', AbortSignal.timeout(20_000));
    expect(teams.map((t) => t.slug)).toEqual(['core']);
    expect(teamListings(before)).toBe(2);
  });

  it('pages a GraphQL connection with graphql.paginate, and stops at a cursor that repeats', async () => {
    const many = new GitHubSimulator({
      token: 'ghs-octokit',
      organizations: [
        {
          org: 'big',
          members: Array.from({ length: 230 }, (_, i) => ({
            login: `dev${i}`,
            verifiedEmails: [`dev${i}@example.com`],
          })),
          teams: [],
        },
      ],
    });
    await many.start();
    try {
      const client = new GithubTeamsClient({ apiUrl: many.url, token: 'ghs-octokit', maxRetries: 0, log });
      const { total, members } = await client.listMembersWithEmails('big', AbortSignal.timeout(20_000));
      expect([total, members.length, new Set(members.map((m) => m.login)).size]).toEqual([230, 230, 230]);
      const pages = many.requests.filter((r) => r.path === '/graphql');
      expect(
        pages.map((r) => (r.body as { variables: { cursor?: string } }).variables.cursor ?? null),
      ).toEqual([null, expect.any(String), expect.any(String)]);

      const stuck = {
        data: {
          organization: {
            membersWithRole: {
              totalCount: 230,
              pageInfo: { hasNextPage: true, endCursor: 'Y3Vyc29yOnYyOjEwMA==' },
              nodes: [],
            },
          },
        },
      };
      many.inject({ path: /^\/graphql$/, status: 200, body: stuck, times: 2 });
      await expect(client.listMembersWithEmails('big', AbortSignal.timeout(20_000))).rejects.toThrow(
        'GitHub: incomplete answer: a GraphQL cursor repeated',
      );
    } finally {
      await many.stop();
    }
  });
});
