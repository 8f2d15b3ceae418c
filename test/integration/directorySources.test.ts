import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { ConfigError, UpstreamError } from '../../core/errors.ts';
import type { GithubSourceConfig, GoogleSourceConfig } from '../../handlers/directory/config.ts';
import type { DirectorySnapshot } from '../../handlers/directory/snapshot.ts';
import { FileDirectorySource } from '../../handlers/directory/sources/fileSource.ts';
import { GithubTeamsSource } from '../../handlers/directory/sources/githubSource.ts';
import { GoogleDirectorySource } from '../../handlers/directory/sources/googleSource.ts';
import { TruncatedAnswerError } from '../../handlers/directory/sources/source.ts';
import { GithubTeamsSimulator } from '../../sandbox/github/githubSimulator.ts';
import {
  githubPrimaryRateLimitFault,
  githubSecondaryRateLimitFault,
} from '../../sandbox/github/rateLimits.ts';
import {
  GoogleDirectorySimulator,
  googleRateLimitFault,
} from '../../sandbox/google-directory/googleDirectorySimulator.ts';
import { Simulator } from '../../sandbox/http.ts';
import { githubOrg, googleWorkspace } from '../support/directorySims.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';

const log = pino({ level: 'silent' });
const google = new GoogleDirectorySimulator(googleWorkspace());
const github = new GithubTeamsSimulator(githubOrg());
const files = new Simulator('files');
let fixture: Fixture;

beforeAll(async () => {
  await Promise.all([google.start(), github.start(), files.start()]);
  fixture = createFixture();
});
afterAll(async () => {
  await Promise.all([google.stop(), github.stop(), files.stop()]);
  fixture.remove();
});

function sourceConfig<T>(raw: object): T {
  const config = parseConfig({ directory: { sources: [raw] } }, 'test.yaml');
  return config.directory.sources[0] as T;
}

function googleSource(
  overrides: object = {},
  env = { GOOGLE_SERVICE_ACCOUNT_JSON: google.serviceAccountKey() },
) {
  const config = sourceConfig<GoogleSourceConfig>({
    name: 'google',
    type: 'google',
    subject: 'admin@example.com',
    apiUrl: google.url,
    tokenUrl: google.tokenUrl,
    ...overrides,
  });
  return GoogleDirectorySource.fromConfig(config, { configDir: fixture.dir, env, log });
}

function githubSource(overrides: object = {}, token = github.token) {
  const config = sourceConfig<GithubSourceConfig>({
    name: 'github',
    type: 'github',
    org: 'example',
    apiUrl: github.url,
    ...overrides,
  });
  return GithubTeamsSource.fromConfig(config, { configDir: fixture.dir, env: { GITHUB_TOKEN: token }, log });
}

const signal = () => AbortSignal.timeout(20_000);
const members = (s: DirectorySnapshot, id: string) => s.groups.find((g) => g.id === id)?.members ?? [];
const requestsTo = (sim: Simulator, re: RegExp) => sim.requests.filter((r) => re.test(r.path)).length;

describe('Google Workspace source (Admin SDK Directory API through a service account)', () => {
  it('exchanges a signed JWT for a token once, pages through users, groups and members, and flattens nesting', async () => {
    google.requests.length = 0;
    const issued = google.tokensIssued;
    const snapshot = await googleSource().fetch(signal());
    expect(google.tokensIssued - issued).toBe(1);
    // 1,104 users at 500 per page; the group of 453 direct members at 200 per page.
    expect(requestsTo(google, /\/users$/)).toBe(3);
    expect(requestsTo(google, /engineering%40|\/members$/)).toBeGreaterThanOrEqual(3);
    expect(snapshot.users).toHaveLength(1105); // every user, plus the external member
    expect(snapshot.users.find((u) => u.email === 'olive@example.com')?.active).toBe(false);
    expect(snapshot.users.find((u) => u.email === 'ada@example.com')).toMatchObject({
      name: 'Ada Lovelace',
      active: true,
    });
    expect(members(snapshot, 'oncall@example.com')).toEqual(['ada@example.com', 'grace@example.com']);
    const engineering = members(snapshot, 'engineering@example.com');
    expect(engineering).toHaveLength(454);
    expect(engineering).toEqual(
      expect.arrayContaining([
        'ada@example.com',
        'grace@example.com',
        'contractor@partner.example',
        'u0450@example.com',
      ]),
    );
    expect(engineering).not.toContain('u0451@example.com');
    expect(members(snapshot, 'loop-a@example.com')).toEqual(['ada@example.com', 'grace@example.com']);
    expect(members(snapshot, 'everyone@example.com')).toHaveLength(1104);
  });

  it('waits out 429 and 403 rate limits (Retry-After) and refreshes an expired token', async () => {
    const source = googleSource();
    await source.fetch(signal());
    google.inject(googleRateLimitFault(2));
    google.inject(googleRateLimitFault(1, { status: 403 }));
    google.revokeTokens();
    const before = google.requests.length;
    const snapshot = await source.fetch(signal());
    expect(members(snapshot, 'data-platform@example.com')).toEqual(['ada@example.com']);
    const statuses = google.requests.slice(before).map((r) => r.path);
    expect(statuses.filter((p) => p === '/token')).toHaveLength(1); // the cached token was refused, then renewed
    expect(google.requests.slice(before).length).toBeGreaterThan(3);
  });

  it('fails, naming the group, when a member listing stops before its last page', async () => {
    google.truncateGroups.add('engineering@example.com');
    try {
      const error = await googleSource()
        .fetch(signal())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TruncatedAnswerError);
      expect(String(error)).toContain(
        'group engineering@example.com has 453 direct members but its pages listed 200',
      );
    } finally {
      google.truncateGroups.clear();
    }
  });

  it('gives up after its retries on persistent server errors', async () => {
    google.inject({
      path: /\/groups$/,
      status: 503,
      body: { error: { code: 503, message: 'Backend Error' } },
      headers: { 'retry-after': '0' },
      times: 10,
    });
    try {
      await expect(googleSource({ maxRetries: 2 }).fetch(signal())).rejects.toThrow(
        'Google Directory: /groups answered 503: Backend Error',
      );
    } finally {
      google.clearFaults();
    }
  });

  it('says when domain-wide delegation is missing, and when the key is', async () => {
    await expect(googleSource({ subject: 'ada@example.com' }).fetch(signal())).rejects.toThrow(
      /unauthorized_client.*is domain-wide delegation granted/,
    );
    expect(() => googleSource({}, { GOOGLE_SERVICE_ACCOUNT_JSON: '' })).toThrow(ConfigError);
    expect(() => googleSource({}, { GOOGLE_SERVICE_ACCOUNT_JSON: '{"client_email":"x@y.z"}' })).toThrow(
      /private_key/,
    );
  });
});

describe('GitHub teams source (Octokit with throttling and retry)', () => {
  it('pages through teams and members, includes child teams, and maps logins to verified e-mails', async () => {
    github.requests.length = 0;
    const snapshot = await githubSource().fetch(signal());
    expect(snapshot.groups).toHaveLength(130);
    expect(requestsTo(github, /\/orgs\/example\/teams$/)).toBe(2);
    expect(requestsTo(github, /\/teams\/everyone\/members$/)).toBe(2);
    expect(members(snapshot, 'platform')).toEqual(['ada@example.com', 'amazing.grace@example.com']);
    expect(members(snapshot, 'everyone')).toHaveLength(140);
    expect(members(snapshot, 'kernel')).toEqual([]);
    expect(snapshot.notes?.[0]).toContain('2 team member(s) have no e-mail');
    expect(snapshot.notes?.[0]).toContain('linus, nomail');
    expect(snapshot.users.find((u) => u.email === 'ada@example.com')).toMatchObject({
      name: 'Ada Lovelace',
      externalId: 'ada-l',
    });
  });

  it('takes e-mails from a mapping file when asked (the file wins over verified e-mails)', async () => {
    fixture.write('logins.csv', 'login,email\nlinus,linus@example.com\nghopper,grace@example.com\n');
    const snapshot = await githubSource({ emails: 'both', mapping: 'logins.csv' }).fetch(signal());
    expect(members(snapshot, 'kernel')).toEqual(['linus@example.com']);
    expect(members(snapshot, 'platform-oncall')).toEqual(['grace@example.com']);
  });

  it('waits out secondary (429 Retry-After) and primary (403 X-RateLimit-Reset) rate limits', async () => {
    github.inject(githubSecondaryRateLimitFault(1, { path: /\/teams$/ }));
    github.inject(githubPrimaryRateLimitFault(1, /\/members$/));
    const before = github.requests.length;
    const snapshot = await githubSource().fetch(signal());
    expect(snapshot.groups).toHaveLength(130);
    const teamListings = github.requests.slice(before).filter((r) => r.path === '/orgs/example/teams').length;
    expect(teamListings).toBe(3); // the refused first page, then both pages
  });

  it('fails when a team listing stops early (the count from GraphQL does not add up)', async () => {
    github.truncateTeams.add('everyone');
    try {
      await expect(githubSource().fetch(signal())).rejects.toThrow(
        'team everyone has 140 members but 100 were listed',
      );
    } finally {
      github.truncateTeams.clear();
    }
  });

  it('reports a bad token as an upstream error', async () => {
    const error = await githubSource({}, 'wrong')
      .fetch(signal())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(String(error)).toContain('Bad credentials');
  });
});

describe('file source', () => {
  it('reads CSV (group,email,name) from a path', async () => {
    fixture.write(
      'people.csv',
      'group,email,name\nops,Ada@Example.com,Ada\nops,grace@example.com,\n,linus@example.com,Linus\n',
    );
    const source = new FileDirectorySource(sourceConfig({ name: 'hr', type: 'file', path: 'people.csv' }), {
      configDir: fixture.dir,
    });
    const snapshot = await source.fetch(signal());
    expect(snapshot.groups).toEqual([{ id: 'ops', members: ['ada@example.com', 'grace@example.com'] }]);
    expect(snapshot.users.map((u) => [u.email, u.name])).toEqual([
      ['ada@example.com', 'Ada'],
      ['grace@example.com', undefined],
      ['linus@example.com', 'Linus'],
    ]);
  });

  it('reports bad CSV rows with their line', async () => {
    fixture.write('bad.csv', 'group,email\nops,not-an-email\nbad group,ada@example.com\n');
    const source = new FileDirectorySource(sourceConfig({ name: 'hr', type: 'file', path: 'bad.csv' }), {
      configDir: fixture.dir,
    });
    await expect(source.fetch(signal())).rejects.toThrow(
      /line 2: "not-an-email" is not an e-mail address[\s\S]*line 3: group "bad group"/,
    );
  });

  it('fetches JSON or CSV from a URL, bounded in size', async () => {
    files.route('GET', '/directory.json', () => ({
      body: { groups: [{ id: 'ops', members: ['ada@example.com'] }] },
    }));
    files.route('GET', '/export', () => ({
      text: 'group,email\nops,ada@example.com\n',
      headers: { 'content-type': 'text/csv' },
    }));
    const json = new FileDirectorySource(
      sourceConfig({ name: 'hr', type: 'file', url: `${files.url}/directory.json` }),
      { configDir: fixture.dir },
    );
    expect((await json.fetch(signal())).groups).toEqual([{ id: 'ops', members: ['ada@example.com'] }]);
    const csv = new FileDirectorySource(
      sourceConfig({ name: 'hr', type: 'file', url: `${files.url}/export` }),
      { configDir: fixture.dir },
    );
    expect((await csv.fetch(signal())).users.map((u) => u.email)).toEqual(['ada@example.com']);
    const small = new FileDirectorySource(
      sourceConfig({ name: 'hr', type: 'file', url: `${files.url}/export`, maxBytes: 10 }),
      { configDir: fixture.dir },
    );
    await expect(small.fetch(signal())).rejects.toThrow(/than maxBytes \(10\)/);
    files.inject({ path: /export/, status: 502, times: 1 });
    await expect(csv.fetch(signal())).rejects.toThrow('answered HTTP 502');
  });

  it('refuses a source with both or neither of path and url, and non-http URLs', () => {
    expect(() => sourceConfig({ name: 'hr', type: 'file' })).toThrow(/exactly one of "path" or "url"/);
    expect(() => sourceConfig({ name: 'hr', type: 'file', url: 'ftp://x/y.csv' })).toThrow(
      /http:\/\/ or https:\/\//,
    );
  });
});
