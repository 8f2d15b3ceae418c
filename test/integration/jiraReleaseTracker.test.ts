import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.ts';
import { type JiraClient, JiraJsClient } from '../../integrations/jira/jiraClient.ts';
import { JiraReleaseTracker } from '../../integrations/jira/jiraReleaseTracker.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';

const EMAIL = 'dpbot@example.com';
const TOKEN = 'jira-release-token';
const log = pino({ level: 'silent' });

let jira: JiraSimulator;
let client: JiraJsClient;
let editsInFlight = 0;
let mostEditsInFlight = 0;

/**
 * The real jira.js client, with a count of how many issue edits are in flight at once (the
 * tracker's concurrency bound); every call still goes over HTTP to the simulator.
 */
function counted(inner: JiraJsClient): JiraClient {
  return new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'addFixVersion') return value.bind(target);
      return async (key: string, name: string) => {
        editsInFlight++;
        mostEditsInFlight = Math.max(mostEditsInFlight, editsInFlight);
        try {
          return await target.addFixVersion(key, name);
        } finally {
          editsInFlight--;
        }
      };
    },
  });
}

function tracker(options: { scopeJql?: string; retries?: number; client?: JiraClient } = {}) {
  return new JiraReleaseTracker({
    jira: options.client ?? counted(client),
    project: 'DATA',
    scopeJql: options.scopeJql,
    concurrency: 4,
    retries: options.retries ?? 2,
    retryDelayMs: 20,
    maxRetryWaitMs: 5_000,
    log,
  });
}

const searches = () =>
  jira.sim.requests.filter((r) => r.method === 'POST' && r.path === '/rest/api/3/search/jql');
const edits = (key?: string) =>
  jira.sim.requests.filter(
    (r) =>
      r.method === 'PUT' &&
      (key ? r.path === `/rest/api/3/issue/${key}` : r.path.startsWith('/rest/api/3/issue/')),
  );

beforeAll(async () => {
  jira = new JiraSimulator({
    email: EMAIL,
    token: TOKEN,
    projects: [
      { id: '10000', key: 'DATA', name: 'Data Platform' },
      { id: '10001', key: 'FIN', name: 'Finance' },
    ],
  });
  // DATA-1 … DATA-230, each with its own summary.
  for (let n = 1; n <= 230; n++) jira.addIssue({ project: 'DATA', number: n, summary: `Change number ${n}` });
  jira.addIssue({ project: 'FIN', number: 7, summary: 'Ledger export' });
  await jira.start();
  // 'throw': a response the simulator shapes differently from what jira.js expects fails the test.
  client = new JiraJsClient({
    url: jira.url,
    email: EMAIL,
    token: TOKEN,
    timeoutMs: 2000,
    log,
    onSchemaMismatch: 'throw',
  });
});
afterAll(() => jira.stop());
beforeEach(() => {
  jira.sim.requests.length = 0;
  jira.sim.clearFaults();
  mostEditsInFlight = 0;
});

describe('looking keys up in bulk', () => {
  it('asks one JQL search per 100 keys, and once more for a batch holding keys Jira does not know', async () => {
    // 250 keys: DATA-1…DATA-230 exist; DATA-900…DATA-919 do not, 5 of them in the first batch
    // of 100 and 15 in the third.
    const known = Array.from({ length: 230 }, (_, i) => `DATA-${i + 1}`);
    const unknown = Array.from({ length: 20 }, (_, i) => `DATA-${900 + i}`);
    const keys = [...known.slice(0, 95), ...unknown.slice(0, 5), ...known.slice(95), ...unknown.slice(5)];
    expect(keys).toHaveLength(250);

    const found = await tracker().lookup(keys);

    expect([...found.keys()].sort()).toEqual([...known].sort());
    expect(found.get('DATA-42')).toMatchObject({
      key: 'DATA-42',
      summary: 'Change number 42',
      status: 'To Do',
      url: `${jira.url}/browse/DATA-42`,
      fixVersions: [],
    });
    // ⌈250/100⌉ = 3 searches, plus one retry for each of the two batches with unknown keys.
    const sent = searches();
    expect(sent).toHaveLength(5);
    const jql = sent.map((r) => String((r.body as { jql?: string }).jql));
    expect(jql[0]).toMatch(/^key in \("DATA-1", "DATA-2", /);
    expect(jql[0]?.match(/"DATA-\d+"/g)).toHaveLength(100);
    expect(jql[1]).not.toContain('DATA-900');
    expect(jql[1]?.match(/"DATA-\d+"/g)).toHaveLength(95);
    expect(jql[2]?.match(/"DATA-\d+"/g)).toHaveLength(100);
    expect(jql[3]?.match(/"DATA-\d+"/g)).toHaveLength(50);
    expect(jql[4]?.match(/"DATA-\d+"/g)).toHaveLength(35);
  });

  it('answers an empty map, with one search, when Jira knows none of the keys; and no search for no keys', async () => {
    expect((await tracker().lookup(['NOPE-1', 'DATA-999'])).size).toBe(0);
    expect(searches()).toHaveLength(1);
    expect((await tracker().lookup([])).size).toBe(0);
    expect(searches()).toHaveLength(1);
  });

  it('the simulator answers as Jira does: 400 naming every unknown key', async () => {
    const response = await fetch(`${jira.url}/rest/api/3/search/jql`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ jql: 'key in (DATA-1, DATA-901, "NOPE-3")', fields: ['summary'] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errorMessages: [
        "An issue with key 'DATA-901' does not exist for field 'key'.",
        "An issue with key 'NOPE-3' does not exist for field 'key'.",
      ],
      errors: {},
    });
  });

  it('waits out a 429 as Retry-After asks, and reports a 500 that outlasts its retries', async () => {
    jira.sim.inject({ path: /\/search\/jql$/, status: 429, headers: { 'retry-after': '1' }, times: 1 });
    expect((await tracker().lookup(['DATA-3'])).get('DATA-3')?.summary).toBe('Change number 3');
    expect(searches()).toHaveLength(2);

    jira.sim.inject({
      path: /\/search\/jql$/,
      status: 500,
      body: { errorMessages: ['Internal server error'] },
      times: 10,
    });
    const error = await tracker({ retries: 2 })
      .lookup(['DATA-3'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toBe(
      'Jira: failed (500) when asked to search issues: Internal server error',
    );
    // The first try and two retries.
    expect(searches()).toHaveLength(2 + 3);
  });

  it('leaves a 502, 503 or 504 to jira.js, and does not ask again after jira.js gave up', async () => {
    const retrying = tracker({ retries: 2, client: client.retrying({ attempts: 3, initialDelayMs: 10 }) });
    jira.sim.inject({ path: /\/search\/jql$/, status: 503, times: 2 });
    expect((await retrying.lookup(['DATA-3'])).get('DATA-3')?.summary).toBe('Change number 3');
    expect(searches()).toHaveLength(3);

    jira.sim.inject({ path: /\/search\/jql$/, status: 502, times: 10 });
    const error = await retrying.lookup(['DATA-3']).catch((e: unknown) => e);
    expect((error as UpstreamError).status).toBe(502);
    // jira.js's three tries, not three for each of the tracker's.
    expect(searches()).toHaveLength(3 + 3);
  });
});

describe('the fix version', () => {
  it('is created in the project, then reused; one created meanwhile by someone else is reused too', async () => {
    const t = tracker();
    const created = await t.ensureVersion({
      name: 'data-platform 2026-11-04',
      description: 'dpbot release #1',
    });
    expect(created).toMatchObject({ name: 'data-platform 2026-11-04', released: false });
    const posts = jira.sim.requests.filter((r) => r.method === 'POST' && r.path === '/rest/api/3/version');
    expect(posts.map((r) => r.body)).toEqual([
      { projectId: 10000, name: 'data-platform 2026-11-04', description: 'dpbot release #1' },
    ]);
    expect(await t.ensureVersion({ name: 'data-platform 2026-11-04', description: 'again' })).toEqual(
      created,
    );
    expect(
      jira.sim.requests.filter((r) => r.method === 'POST' && r.path === '/rest/api/3/version'),
    ).toHaveLength(1);

    // Between dpbot's look and its create, another replica created it: Jira says it exists.
    const other = jira.addVersion({ project: 'DATA', name: 'data-platform 2026-11-11' });
    jira.sim.inject({
      method: 'GET',
      path: /\/project\/DATA\/version$/,
      status: 200,
      body: { startAt: 0, maxResults: 50, total: 0, isLast: true, values: [] },
      times: 1,
    });
    expect(await t.ensureVersion({ name: 'data-platform 2026-11-11', description: 'x' })).toEqual({
      id: other.id,
      name: 'data-platform 2026-11-11',
      released: false,
    });
  });

  it('is set on issues a few at a time, not on another project’s, and waits out a 429', async () => {
    const t = tracker();
    const version = await t.ensureVersion({ name: 'assign-1', description: '' });
    const keys = Array.from({ length: 12 }, (_, i) => `DATA-${i + 1}`);
    // The first matching fault applies: the 429 first, then slow answers, so the edits overlap
    // as far as the bound lets them.
    jira.sim.inject({
      method: 'PUT',
      path: /\/issue\/DATA-5$/,
      status: 429,
      headers: { 'retry-after': '1' },
      times: 1,
    });
    jira.sim.inject({ method: 'PUT', path: /^\/rest\/api\/3\/issue\//, delayMs: 60, times: 12 });

    const result = await t.assignVersion(version, [...keys, 'FIN-7']);

    expect(result).toEqual({
      assigned: keys,
      skipped: [{ key: 'FIN-7', reason: 'in project FIN, not DATA' }],
      failed: [],
    });
    expect(mostEditsInFlight).toBe(4);
    for (const key of keys) expect(jira.issue(key)?.fixVersions).toEqual([version.id]);
    expect(jira.issue('FIN-7')?.fixVersions).toEqual([]);
    expect(edits('DATA-5')).toHaveLength(2);
    expect(edits('DATA-1')[0]?.body).toEqual({ update: { fixVersions: [{ add: { name: 'assign-1' } }] } });
  });

  it('reports each refused issue: 403 for one, a Retry-After too long to wait, 500 after its retries', async () => {
    const t = tracker({ retries: 1 });
    const version = await t.ensureVersion({ name: 'assign-2', description: '' });
    jira.sim.inject({
      method: 'PUT',
      path: /\/issue\/DATA-21$/,
      status: 403,
      body: { errorMessages: ['You do not have permission to edit issues in this project.'], errors: {} },
      times: 1,
    });
    jira.sim.inject({
      method: 'PUT',
      path: /\/issue\/DATA-22$/,
      status: 429,
      headers: { 'retry-after': '600' },
      times: 1,
    });
    jira.sim.inject({
      method: 'PUT',
      path: /\/issue\/DATA-23$/,
      status: 500,
      body: { errorMessages: ['Internal server error'] },
      times: 5,
    });

    const result = await t.assignVersion(version, ['DATA-20', 'DATA-21', 'DATA-22', 'DATA-23']);

    expect(result.assigned).toEqual(['DATA-20']);
    expect(result.failed).toEqual([
      {
        key: 'DATA-21',
        error:
          "Jira: dpbot's account may not add fix version assign-2 to DATA-21 (403): You do not have permission to edit issues in this project.",
      },
      {
        key: 'DATA-22',
        error:
          'Jira: rate limited when asked to add fix version assign-2 to DATA-22, and asked to wait 10m (longer than release.jira.maxRetryWait); not retried',
      },
      {
        key: 'DATA-23',
        error: 'Jira: failed (500) when asked to add fix version assign-2 to DATA-23: Internal server error',
      },
    ]);
    expect([edits('DATA-21'), edits('DATA-22'), edits('DATA-23')].map((e) => e.length)).toEqual([1, 1, 2]);
    expect(jira.issue('DATA-20')?.fixVersions).toHaveLength(1);
    expect(jira.issue('DATA-21')?.fixVersions).toEqual([]);
  });

  it('stops asking once Jira refuses dpbot’s credentials', async () => {
    const t = tracker();
    const version = await t.ensureVersion({ name: 'assign-3', description: '' });
    jira.sim.inject({
      method: 'PUT',
      path: /^\/rest\/api\/3\/issue\//,
      status: 401,
      body: {
        errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
      },
      times: 100,
    });
    const keys = Array.from({ length: 30 }, (_, i) => `DATA-${i + 100}`);

    const result = await t.assignVersion(version, keys);

    expect(result.assigned).toEqual([]);
    // Only the edits already under way when the first 401 came back were sent.
    expect(result.failed.length).toBeGreaterThan(0);
    expect(result.failed.length).toBeLessThanOrEqual(4);
    expect(edits()).toHaveLength(result.failed.length);
    for (const f of result.failed) expect(f.error).toContain("refused dpbot's credentials (401)");
    expect(result.skipped).toHaveLength(30 - result.failed.length);
    expect(new Set(result.skipped.map((s) => s.reason))).toEqual(
      new Set(['not attempted: Jira refused dpbot’s credentials']),
    );
  });

  it('is marked released with its release date', async () => {
    const t = tracker();
    const version = await t.ensureVersion({ name: 'to-release', description: '' });
    expect(await t.markReleased(version, '2026-11-04')).toMatchObject({ name: 'to-release', released: true });
    expect(jira.versions().find((v) => v.id === version.id)).toMatchObject({
      released: true,
      releaseDate: '2026-11-04',
    });
    expect(jira.sim.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/rest/api/3/version/${version.id}`,
      body: { released: true, releaseDate: '2026-11-04' },
    });
  });
});

describe('the release’s scope in Jira', () => {
  it('lists the issues in the version and those matching the configured JQL', async () => {
    jira.addVersion({ project: 'DATA', name: 'planned', issues: ['DATA-200', 'DATA-201'] });
    jira.addIssue({
      project: 'DATA',
      number: 300,
      summary: 'Planned without a version',
      labels: ['ship-wednesday'],
    });
    const t = tracker({ scopeJql: 'project = DATA AND labels = ship-wednesday' });
    expect((await t.scope('planned')).map((i) => i.key).sort()).toEqual(['DATA-200', 'DATA-201', 'DATA-300']);
    // A version that does not exist yet is not searched for (Jira would answer 400).
    jira.sim.requests.length = 0;
    expect((await t.scope('not-yet')).map((i) => i.key)).toEqual(['DATA-300']);
    expect(searches()).toHaveLength(1);

    const broken = tracker({ scopeJql: 'assignee = currentUser()' });
    await expect(broken.scope('not-yet')).rejects.toThrow(/Error in the JQL Query/);
  });
});
