import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.ts';
import { createMetrics } from '../../core/metrics.ts';
import { code, doc, link, paragraph, text } from '../../integrations/jira/adf.ts';
import { JiraJsClient, JiraRateLimitedError } from '../../integrations/jira/jiraClient.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';
import { adfToText } from '../support/adf.ts';

const EMAIL = 'dpbot@example.com';
const TOKEN = 'jira-test-token';
const jira = new JiraSimulator({
  email: EMAIL,
  token: TOKEN,
  projects: [
    { id: '10000', key: 'DP', name: 'Data Platform' },
    { id: '10001', key: 'FIN', name: 'Finance' },
  ],
  readOnlyProjects: ['FIN'],
});
const log = pino({ level: 'silent' });
let client: JiraJsClient;

beforeAll(async () => {
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

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UpstreamError)) throw new Error(`expected an UpstreamError, got ${String(error)}`);
  return error;
}

describe('Jira through jira.js against the simulator', () => {
  it('creates an issue, reads it and comments on it in ADF; markup in values stays text', async () => {
    const created = await client.createIssue({
      project: 'DP',
      issueType: 'Task',
      summary: 'backfill orders 2026-11-01..07',
      description: doc(paragraph(text('Requested by ada@example.com'))),
      labels: ['dpbot'],
    });
    expect(created.key).toMatch(/^DP-\d+$/);
    const issue = await client.getIssue(created.key);
    expect(issue).toMatchObject({
      key: created.key,
      summary: 'backfill orders 2026-11-01..07',
      status: 'To Do',
    });
    const sneaky = '{code}x{code} [click|http://evil] *bold*';
    const comment = await client.addComment(
      created.key,
      doc(
        paragraph(text('Succeeded: '), code(sneaky), text(' '), link('Argo', 'https://argo.example.com/w/x')),
      ),
    );
    expect(comment.id).toMatch(/^\d+$/);
    const stored = jira.issue(created.key)?.comments.at(-1);
    expect(adfToText(stored?.body ?? {})).toBe(`Succeeded: ${sneaky} Argo`);
    expect(client.browseUrl(created.key)).toBe(`${jira.url}/browse/${created.key}`);
    const paths = jira.sim.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('POST /rest/api/3/issue');
    expect(paths).toContain(`POST /rest/api/3/issue/${created.key}/comment`);
  });

  it('creates and releases versions, sets fix versions, and finds issues by JQL page by page', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push(jira.addIssue({ project: 'DP', summary: `change ${i}` }).key);
    const version = await client.createVersion({
      projectId: 10000,
      name: '2026.47',
      releaseDate: '2026-11-18',
    });
    expect(version).toMatchObject({ name: '2026.47', released: false });
    for (const key of keys.slice(0, 3)) await client.addFixVersion(key, '2026.47');
    expect((await client.getIssue(keys[0] ?? '')).fixVersions).toEqual(['2026.47']);

    const first = await client.searchIssues('project = DP AND fixVersion = "2026.47" ORDER BY key', {
      maxResults: 2,
    });
    expect(first.issues).toHaveLength(2);
    expect(first.nextPageToken).toBeTruthy();
    const second = await client.searchIssues('project = DP AND fixVersion = "2026.47"', {
      maxResults: 2,
      nextPageToken: first.nextPageToken ?? '',
    });
    expect(second.nextPageToken).toBeUndefined();
    expect([...first.issues, ...second.issues].map((i) => i.key).sort()).toEqual(keys.slice(0, 3).sort());
    const byKey = await client.searchIssues(`key in (${keys[3]}, "${keys[4]}")`);
    expect(byKey.issues.map((i) => i.key).sort()).toEqual(keys.slice(3).sort());

    const released = await client.updateVersion(version.id, { released: true, releaseDate: '2026-11-19' });
    expect(released).toMatchObject({ released: true, releaseDate: '2026-11-19' });

    const duplicate = await failure(client.createVersion({ projectId: 10000, name: '2026.47' }));
    expect(duplicate.message).toContain('A version with this name already exists in this project.');
    const unknownVersion = await failure(client.addFixVersion(keys[0] ?? '', 'no-such'));
    expect(unknownVersion.message).toContain("Version name 'no-such' is not valid");
    const badJql = await failure(client.searchIssues('assignee = currentUser()'));
    expect(badJql.message).toContain('Error in the JQL Query');
  });

  it('turns 401, 403, 404, 429 and 500 into clear errors, and bounds slow answers', async () => {
    const wrong = new JiraJsClient({ url: jira.url, email: EMAIL, token: 'nope', timeoutMs: 2000, log });
    const unauthorized = await failure(wrong.getIssue('DP-1'));
    expect([unauthorized.status, unauthorized.message]).toEqual([
      401,
      "Jira: refused dpbot's credentials (401) when asked to read DP-1; check JIRA_API_TOKEN and jira.email",
    ]);
    const fin = jira.addIssue({ project: 'FIN', summary: 'ledger' });
    const forbidden = await failure(client.addComment(fin.key, doc(paragraph(text('x')))));
    expect([forbidden.status, forbidden.message]).toEqual([
      403,
      `Jira: dpbot's account may not comment on ${fin.key} (403): You do not have permission to add comments to this issue.`,
    ]);
    const missing = await failure(client.getIssue('DP-9999'));
    expect(missing.message).toBe(
      'Jira: could not read DP-9999: not found (404): Issue does not exist or you do not have permission to see it.',
    );

    jira.sim.inject({ path: /\/comment$/, status: 429, headers: { 'retry-after': '7' }, times: 1 });
    const limited = await failure(client.addComment('DP-1', doc(paragraph(text('x')))));
    expect(limited).toBeInstanceOf(JiraRateLimitedError);
    expect((limited as JiraRateLimitedError).retryAfterMs).toBe(7000);

    jira.sim.inject({
      path: /\/issue\//,
      status: 500,
      body: { errorMessages: ['Internal server error'] },
      times: 1,
    });
    expect((await failure(client.getIssue('DP-1'))).message).toBe(
      'Jira: failed (500) when asked to read DP-1: Internal server error',
    );

    jira.sim.inject({ path: /\/issue\//, delayMs: 600, times: 1 });
    const slow = new JiraJsClient({ url: jira.url, email: EMAIL, token: TOKEN, timeoutMs: 200, log });
    expect((await failure(slow.getIssue('DP-1'))).message).toMatch(
      /did not answer within 200ms when asked to read DP-1/,
    );
  });

  it('counts and times its calls under system="jira", with the status of a refusal', async () => {
    const metrics = createMetrics();
    try {
      const issue = jira.addIssue({ project: 'DP', summary: 'counted' });
      await client.getIssue(issue.key);
      await client.getIssue('DP-9999').catch(() => undefined);
      const page = await metrics.registry.metrics();
      expect(page).toMatch(/^dpbot_external_calls_total\{system="jira",status="ok"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_calls_total\{system="jira",status="404"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_call_duration_seconds_count\{system="jira"\} 2$/m);
    } finally {
      metrics.close();
    }
  });

  it('retries a 502, 503 or 504 through jira.js when asked to, and asks once otherwise', async () => {
    jira.sim.requests.length = 0;
    const issueReads = () =>
      jira.sim.requests.filter((r) => r.method === 'GET' && r.path === '/rest/api/3/issue/DP-1');
    jira.sim.inject({
      path: /\/issue\/DP-1$/,
      status: 503,
      body: { message: 'Service Unavailable' },
      times: 1,
    });
    expect((await failure(client.getIssue('DP-1'))).message).toBe(
      'Jira: failed (503) when asked to read DP-1: Service Unavailable',
    );
    expect(issueReads()).toHaveLength(1);

    const retrying = client.retrying({ attempts: 3, initialDelayMs: 10 });
    jira.sim.inject({ path: /\/issue\/DP-1$/, status: 502, times: 1 });
    jira.sim.inject({ path: /\/issue\/DP-1$/, status: 504, times: 1 });
    expect((await retrying.getIssue('DP-1')).key).toBe('DP-1');
    expect(issueReads()).toHaveLength(1 + 3);

    // Three tries in all, then the error; a 500 is not among what jira.js retries.
    jira.sim.inject({
      path: /\/issue\/DP-1$/,
      status: 503,
      body: { message: 'Service Unavailable' },
      times: 5,
    });
    expect((await failure(retrying.getIssue('DP-1'))).status).toBe(503);
    expect(issueReads()).toHaveLength(4 + 3);
    jira.sim.clearFaults();
    jira.sim.inject({ path: /\/issue\/DP-1$/, status: 500, times: 5 });
    expect((await failure(retrying.getIssue('DP-1'))).status).toBe(500);
    expect(issueReads()).toHaveLength(7 + 1);
    jira.sim.clearFaults();
  });
});
