import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.ts';
import { OctokitGitHubClient } from '../../integrations/github/githubClient.ts';
import { GithubTeamsClient } from '../../integrations/github/githubTeamsClient.ts';
import { createGitHubOctokit } from '../../integrations/github/octokit.ts';
import { githubRestChecker } from './checkers/githubRest.ts';

/**
 * Real GitHub answers, recorded by Octokit's own project (`@octokit/fixtures`, pinned), replayed
 * through dpbot's GitHub clients from a loopback server: proof that dpbot reads what GitHub
 * really sends, not only what our simulator sends. The package has no scenario for pull-request
 * lists, commit lists, teams or the rate limit; where a scenario recorded the same kind of object
 * in another answer (a release, a team, users), that object is served for dpbot's request, and
 * the test says so.
 */

/** One recorded exchange, as the package normalizes it (nock's definition format). */
interface Recording {
  method: string;
  /** Path and query. */
  path: string;
  status: number;
  /** JSON, or the text of a text answer. */
  response: unknown;
  headers: Record<string, string | number>;
  body?: unknown;
}

const SCENARIOS = new URL(
  './scenarios/api.github.com/',
  import.meta.resolve('@octokit/fixtures/package.json'),
);

/** A scenario's recordings (the package's `fixtures.get`, read without importing it: it loads nock). */
function scenario(name: string): Recording[] {
  return JSON.parse(readFileSync(new URL(`${name}/normalized-fixture.json`, SCENARIOS), 'utf8'));
}

function recorded(name: string, index: number): Recording {
  const found = scenario(name)[index];
  if (!found) throw new Error(`@octokit/fixtures ${name} has no recording ${index}`);
  return found;
}

const GITHUB = 'https://api.github.com';
/** Headers that describe the recorded transfer, not the answer; the replay sends its own. */
const TRANSFER = new Set(['content-length', 'connection', 'transfer-encoding', 'content-encoding']);

/**
 * Answers each request with the first unused recording of the same method, path and query, with
 * GitHub's address in Location and Link headers rewritten to its own so that redirects and pages
 * stay on 127.0.0.1. A request with no recording is answered 404 and listed in `unrecorded`.
 */
class ReplayServer {
  readonly served: string[] = [];
  readonly unrecorded: string[] = [];
  readonly #left: Recording[];
  #server: Server | undefined;
  #url = '';

  constructor(recordings: Recording[]) {
    this.#left = [...recordings];
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = `${req.method ?? 'GET'} ${req.url ?? '/'}`;
        const index = this.#left.findIndex((r) => `${r.method.toUpperCase()} ${r.path}` === key);
        const recording = index === -1 ? undefined : this.#left.splice(index, 1)[0];
        if (!recording) {
          this.unrecorded.push(key);
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
          res.end(
            JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }),
          );
          return;
        }
        this.served.push(key);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(recording.headers))
          if (!TRANSFER.has(name)) headers[name] = String(value).replaceAll(GITHUB, this.#url);
        res.writeHead(recording.status, headers);
        const body = recording.response;
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const log = pino({ level: 'silent' });
const TOKEN = '0000000000000000000000000000000000000001';
let replay: ReplayServer | undefined;

async function replaying(recordings: Recording[]): Promise<ReplayServer> {
  replay = new ReplayServer(recordings);
  await replay.start();
  return replay;
}
afterEach(() => replay?.stop());

const client = (server: ReplayServer) =>
  new OctokitGitHubClient({ apiUrl: server.url, token: TOKEN, concurrency: 1, timeoutMs: 5000, log });
const teams = (server: ReplayServer) =>
  new GithubTeamsClient({ apiUrl: server.url, token: TOKEN, maxRetries: 0, log });

describe("dpbot's GitHub clients on GitHub's recorded answers (@octokit/fixtures)", () => {
  it('a repository (get-repository): visible, public, as GitHub described it', async () => {
    const server = await replaying([recorded('get-repository', 0)]);
    const access = await client(server).repositoryAccess('octokit-fixture-org/hello-world', {
      releases: false,
    });
    expect(access).toMatchObject({ visible: true, private: false });
    // The scenario recorded no pull-request or commit list: those probes met the replay's 404.
    expect(server.unrecorded).toEqual([
      'GET /repos/octokit-fixture-org/hello-world/pulls?state=closed&per_page=1',
      'GET /repos/octokit-fixture-org/hello-world/commits?per_page=1',
    ]);
    expect(access.pullRequests).toMatchObject({ ok: false, status: 404 });
  });

  it('a renamed repository (rename-repository): the 301 is followed to the repository by id', async () => {
    const [, moved, renamed] = scenario('rename-repository');
    if (!moved || !renamed) throw new Error('rename-repository has changed');
    expect(moved.status).toBe(301);
    const server = await replaying([moved, renamed]);
    const access = await client(server).repositoryAccess('octokit-fixture-org/rename-repository', {
      releases: false,
    });
    expect(server.served).toEqual([
      'GET /repos/octokit-fixture-org/rename-repository',
      'GET /repositories/1000',
    ]);
    expect(access).toMatchObject({ visible: true, private: false });
  });

  it('a repository the token may not see: GitHub’s recorded 404 (branch-protection) means invisible, and nothing more is asked', async () => {
    const notFound = { ...recorded('branch-protection', 0), path: '/repos/octokit-fixture-org/hidden' };
    expect(notFound.status).toBe(404);
    const server = await replaying([notFound]);
    const access = await client(server).repositoryAccess('octokit-fixture-org/hidden', { releases: true });
    expect(access).toMatchObject({ visible: false, releases: undefined });
    expect(server.unrecorded).toEqual([]);
  });

  it('a release (release-assets): the release GitHub sent, as the answer to dpbot creating it', async () => {
    // The package records no release creation; GET /releases/tags/{tag} answers the same `release` object.
    const release = {
      ...recorded('release-assets', 0),
      method: 'post',
      path: '/repos/octokit-fixture-org/release-assets/releases',
      status: 201,
    };
    const server = await replaying([release]);
    const created = await client(server).createRelease({
      repository: 'octokit-fixture-org/release-assets',
      tag: 'v1.0.0',
      revision: 'main',
      name: 'v1.0.0',
      body: '',
    });
    expect(created).toEqual({
      url: 'https://github.com/octokit-fixture-org/release-assets/releases/tag/v1.0.0',
    });
  });

  it('a release GitHub refuses (errors: 422 Validation Failed): a clear error with what GitHub said', async () => {
    const refused = {
      ...recorded('errors', 0),
      path: '/repos/octokit-fixture-org/errors/releases',
    };
    expect(refused.status).toBe(422);
    const server = await replaying([refused]);
    const error = await client(server)
      .createRelease({
        repository: 'octokit-fixture-org/errors',
        tag: 'v1',
        revision: 'main',
        name: 'v1',
        body: '',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 422 });
    expect((error as Error).message).toMatch(
      /^GitHub: creating release v1 in octokit-fixture-org\/errors: HTTP 422, Validation Failed: .*"code":"invalid"/,
    );
  });

  it('teams and their members: the team and the users GitHub sent (branch-protection, collaborators)', async () => {
    // No scenario lists an organization's teams or a team's members; branch protection's
    // restrictions carry GitHub's `team` objects, and a collaborator list its users.
    const protection = recorded('branch-protection', 2).response as { restrictions: { teams: unknown[] } };
    const server = await replaying([
      {
        ...recorded('branch-protection', 2),
        method: 'get',
        path: '/orgs/octokit-fixture-org/teams?per_page=100',
        response: protection.restrictions.teams,
      },
      {
        ...recorded('add-and-remove-repository-collaborator', 3),
        path: '/orgs/octokit-fixture-org/teams/a-team/members?role=all&per_page=100',
      },
    ]);
    const signal = AbortSignal.timeout(10_000);
    expect(await teams(server).listTeams('octokit-fixture-org', signal)).toEqual([
      { id: 1000, slug: 'a-team', name: 'A-Team', parentSlug: null },
    ]);
    expect(await teams(server).listTeamMembers('octokit-fixture-org', 'a-team', signal)).toEqual([
      'octokit-fixture-user-a',
      'octokit-fixture-user-b',
    ]);
  });

  it('pagination (paginate-issues): dpbot’s Octokit set-up follows GitHub’s Link headers to the last page', async () => {
    const server = await replaying(scenario('paginate-issues'));
    const octokit = createGitHubOctokit({
      apiUrl: server.url,
      token: TOKEN,
      userAgent: 'dpbot',
      purpose: 'read',
      throttleId: 'dpbot-fixtures',
      log,
    });
    const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
      owner: 'octokit-fixture-org',
      repo: 'paginate-issues',
      per_page: 3,
    });
    expect(issues.map((i) => i.number)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(server.served).toHaveLength(5);
    expect(server.unrecorded).toEqual([]);
  });
});

describe("GitHub's recorded answers held to GitHub's OpenAPI description", () => {
  const judged = (name: string, index: number) => {
    const r = recorded(name, index);
    const [path = '', query] = r.path.split('?');
    return githubRestChecker.check({
      method: r.method.toUpperCase(),
      path,
      query: query ? `?${query}` : '',
      body: r.body === '' ? undefined : r.body,
      status: r.status,
      responseBody: typeof r.response === 'string' ? undefined : r.response,
    });
  };

  it('finds no field GitHub sends that the description does not know: the judge is not stricter than GitHub', () => {
    // The recordings are older than some fields the description now requires: has_discussions
    // (2021), a team's type (enterprise teams, 2024). Nothing else is missing, and no field is unknown.
    expect(judged('get-repository', 0)).toEqual([
      'GET /repos/octokit-fixture-org/hello-world (/repos/{owner}/{repo}): response 200: required field "has_discussions" missing',
    ]);
    expect(judged('release-assets', 0)).toEqual([]);
    expect(judged('errors', 0)).toEqual([]);
    expect(judged('rename-repository', 1)).toEqual([]);
    expect(judged('branch-protection', 0)).toEqual([]);
    expect(judged('add-and-remove-repository-collaborator', 3)).toEqual([]);
    expect(judged('paginate-issues', 0)).toEqual([]);
    expect(judged('branch-protection', 2)).toEqual([
      'PUT /repos/octokit-fixture-org/branch-protection/branches/main/protection (/repos/{owner}/{repo}/branches/{branch}/protection): response 200/restrictions/teams/0: required field "type" missing',
    ]);
  });
});
