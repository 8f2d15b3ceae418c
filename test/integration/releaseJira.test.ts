import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractJiraKeys } from '../../handlers/release/jiraKeys.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

const EMAIL = 'dpbot@example.com';
const TOKEN = 'jira-release-flow';
const today = () => new Date().toISOString().slice(0, 10);
const since = new Date(`${SINCE}T00:00:00Z`);

let jira: JiraSimulator;
let world: ReleaseWorld;
/** Keys of the pull requests each service ships in release 1. */
const keysOf: Record<string, string[]> = {};

beforeAll(async () => {
  jira = new JiraSimulator({
    email: EMAIL,
    token: TOKEN,
    projects: [{ id: '10000', key: 'DATA', name: 'Data Platform' }],
  });
  await jira.start();
  world = await startReleaseWorld({
    jira: { url: jira.url, email: EMAIL, token: TOKEN },
    config: {
      jira: {
        project: 'DATA',
        versionName: 'data-platform {date} #{id}',
        scopeJql: 'project = DATA AND labels = ship-wednesday',
        retries: 1,
        retryDelay: '100ms',
        maxRetryWait: '5s',
      },
    },
  });
  const lastOrders = world.github.repository('acme/orders').commits.at(-1)?.date ?? new Date();
  // A fix whose Jira summary stakeholders read instead of its title, and a chore whose key Jira
  // does not know (the generated pull requests use DATA-200 … DATA-999).
  world.github.merge('acme/orders', {
    number: 600,
    title: 'fix: DATA-1901 round totals half up',
    body: '',
    branch: 'fix/rounding',
    author: 'grace-h',
    labels: [],
    files: ['src/totals.ts'],
    mergedAt: new Date(lastOrders.getTime() + 1000),
  });
  world.github.merge('acme/orders', {
    number: 601,
    title: 'chore: DATA-1902 tidy the build',
    body: '',
    branch: 'chore/tidy',
    author: 'ada-l',
    labels: [],
    files: ['src/build.ts'],
    mergedAt: new Date(lastOrders.getTime() + 2000),
  });
  const recent = (prs: ReleaseWorld['orders'], folder?: string) =>
    prs.filter((p) => p.mergedAt >= since && (!folder || p.files.some((f) => f.startsWith(folder))));
  keysOf['orders-api'] = recent(world.github.repository('acme/orders').pullRequests).flatMap((p) =>
    extractJiraKeys(p),
  );
  keysOf.ingest = recent(world.platform, 'services/ingest/').flatMap((p) => extractJiraKeys(p));
  keysOf.catalog = recent(world.platform, 'services/catalog/').flatMap((p) => extractJiraKeys(p));
  const all = new Set(Object.values(keysOf).flat());
  for (const key of all) {
    if (key === 'DATA-1902') continue;
    const summary =
      key === 'DATA-1901' ? 'Totals are rounded the way finance expects' : `Jira summary of ${key}`;
    jira.addIssue({ project: 'DATA', number: Number(key.slice(5)), summary });
  }
  // Planned for this release in Jira, but no pull request names it.
  jira.addIssue({
    project: 'DATA',
    number: 1500,
    summary: 'Retire the old export',
    labels: ['ship-wednesday'],
  });
}, 60_000);
afterAll(async () => {
  await world.close();
  await jira.stop();
});

async function events(releaseId: number) {
  const rows = await world.database.query<{
    id: number;
    outcome: string;
    error: string | null;
    detail: unknown;
  }>(
    "SELECT id, outcome, error, detail FROM audit_log WHERE request_id = $1 AND kind = 'event' ORDER BY id",
    [`release-${releaseId}`],
  );
  return rows.rows;
}

const jiraRequests = (method: string, path: RegExp) =>
  jira.sim.requests.filter((r) => r.method === method && path.test(r.path));

async function ship(id: number) {
  const asked = await run(world, `release ship --release ${id}`, 'ada@example.com');
  expect(asked.outcome).toBe('awaiting_confirmation');
  const pending = buttons(asked.responder.sent[0]?.message.blocks)[0]?.value ?? '';
  expect((await press(world, CONFIRM_ACTION, pending, 'ada@example.com')).outcome).toBe('ok');
}

async function shipped(id: number) {
  await eventually(
    async () => {
      const r = await world.database.query(
        'SELECT status, notes_posted_at IS NOT NULL AS told FROM releases WHERE id = $1',
        [id],
      );
      expect(r.rows[0]).toEqual({ status: 'shipped', told: true });
    },
    25_000,
    200,
  );
}

describe('a release with Jira', () => {
  it('looks keys up in bulk at start, sets the fix version on what ships, releases it once healthy, and tells stakeholders in Jira’s words', async () => {
    const allKeys = [...new Set(Object.values(keysOf).flat())];
    const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(started.outcome).toBe('ok');
    expect(started.texts[0]).toContain(
      `Jira: ${allKeys.length - 1} of ${allKeys.length} key(s) found; unknown: DATA-1902; keys without a PR: DATA-1500`,
    );
    // One search for the keys (fewer than 100), one more without the key Jira does not know,
    // and the scope: the version does not exist yet, so only release.jira.scopeJql is searched.
    const searches = jiraRequests('POST', /\/search\/jql$/).map((r) => (r.body as { jql: string }).jql);
    expect(searches).toHaveLength(3);
    expect(searches[0]).toContain('"DATA-1902"');
    expect(searches[1]).not.toContain('DATA-1902');
    expect(searches[2]).toBe('project = DATA AND labels = ship-wednesday');

    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include catalog', 'linus@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'grace@example.com')).outcome).toBe('ok');

    // Jira refuses one issue (403) and rate-limits another once (429, Retry-After: 1).
    const shipping = [...new Set([...(keysOf['orders-api'] ?? []), ...(keysOf.catalog ?? [])])].filter(
      (k) => k !== 'DATA-1902',
    );
    const [refused, limited] = shipping.filter((k) => k !== 'DATA-1901');
    jira.sim.inject({
      method: 'PUT',
      path: new RegExp(`/issue/${refused}$`),
      status: 403,
      body: { errorMessages: ['You do not have permission to edit issues in this project.'], errors: {} },
      times: 1,
    });
    jira.sim.inject({
      method: 'PUT',
      path: new RegExp(`/issue/${limited}$`),
      status: 429,
      headers: { 'retry-after': '1' },
      times: 1,
    });
    await ship(1);

    const name = `data-platform ${today()} #1`;
    const set = await eventually(async () => {
      const row = (await events(1)).find((e) => e.outcome.startsWith('fix_version_'));
      expect(row).toBeDefined();
      return row;
    });
    const version = jira.versions().find((v) => v.name === name);
    expect(version).toMatchObject({ projectId: 10000, released: false });
    expect(set).toMatchObject({
      outcome: 'fix_version_incomplete',
      error: expect.stringContaining(
        `${refused}: Jira: dpbot's account may not add fix version ${name} to ${refused} (403)`,
      ),
      detail: expect.objectContaining({
        version: name,
        unknown: ['DATA-1902'],
        keysWithoutPr: ['DATA-1500'],
      }),
    });
    // Every issue of what ships has the version, except the refused one; the skipped service's
    // issues (unless a shipped pull request names them too) do not.
    for (const key of shipping)
      expect(jira.issue(key)?.fixVersions.includes(version?.id ?? ''), key).toBe(key !== refused);
    for (const key of (keysOf.ingest ?? []).filter((k) => !shipping.includes(k)))
      expect(jira.issue(key)?.fixVersions, key).toEqual([]);
    expect(jiraRequests('PUT', new RegExp(`/issue/${limited}$`))).toHaveLength(2);
    // The release thread says what failed and how to finish it (posted just after the audit row).
    const releaseTs = world.notifier.posted.find((p) => p.channel === '#releases' && !p.threadTs)?.ts;
    const report = await eventually(() => {
      const found = world.notifier.posted.find(
        (p) => p.threadTs === releaseTs && p.message.text.startsWith('Jira fix version'),
      );
      expect(found).toBeDefined();
      return found;
    });
    expect(report?.message.text).toContain(
      `Jira fix version ${name}: on ${shipping.length - 1} of ${shipping.length + 1} issue(s); failed: ${refused}; unknown: DATA-1902; keys without a PR: DATA-1500`,
    );
    expect(report?.message.text).toContain(`• ${refused}: Jira: dpbot's account may not`);

    await shipped(1);
    expect(jira.versions().find((v) => v.name === name)).toMatchObject({
      released: true,
      releaseDate: today(),
    });
    const outcomes = (await events(1)).map((e) => e.outcome);
    const healthy = outcomes.lastIndexOf('sync_healthy');
    expect(healthy).toBeGreaterThan(-1);
    expect(outcomes.indexOf('fix_version_released')).toBeGreaterThan(healthy);
    expect(outcomes.indexOf('fix_version_released')).toBeLessThan(outcomes.indexOf('notes_posted'));

    const notes = world.notifier.posted.find((p) => p.channel === '#sales-ops')?.message.text ?? '';
    expect(notes).toContain('orders-api: Totals are rounded the way finance expects');
    expect(notes).not.toContain('Round totals half up');
    const status = JSON.stringify(
      (await run(world, 'release status 1', 'linus@example.com')).responder.sent[0]?.message.blocks,
    );
    expect(status).toContain(`Jira fix version ${name} released`);
    expect(status).toContain('keys without a PR: DATA-1500');
  });

  it('reports a refused lookup, refused credentials and a Jira error, audits each, and ships anyway', async () => {
    const lastOrders = world.github.repository('acme/orders').commits.at(-1)?.date ?? new Date();
    world.github.merge('acme/orders', {
      number: 602,
      title: 'feat: DATA-1903 weekly totals',
      body: '',
      branch: 'feat/weekly',
      author: 'ada-l',
      labels: [],
      files: ['src/weekly.ts'],
      mergedAt: new Date(Math.max(Date.now(), lastOrders.getTime()) + 120_000),
    });
    jira.addIssue({ project: 'DATA', number: 1903, summary: 'Weekly totals' });
    jira.sim.inject({
      method: 'POST',
      path: /\/search\/jql$/,
      status: 401,
      body: {
        errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
      },
      times: 1,
    });
    const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(started.outcome).toBe('ok');
    const refused =
      "Jira lookup failed: Jira: refused dpbot's credentials (401) when asked to search issues; check JIRA_API_TOKEN and jira.email";
    expect(started.texts[0]).toContain(refused);
    expect((await events(2)).find((e) => e.outcome === 'tracker_lookup_failed')).toMatchObject({
      error:
        "Jira: refused dpbot's credentials (401) when asked to search issues; check JIRA_API_TOKEN and jira.email",
    });

    expect((await run(world, 'release include orders-api --release 2', 'grace@example.com')).outcome).toBe(
      'ok',
    );
    expect((await run(world, 'release skip ingest --release 2', 'grace@example.com')).outcome).toBe('ok');
    jira.sim.inject({
      method: 'PUT',
      path: /^\/rest\/api\/3\/issue\//,
      status: 401,
      body: {
        errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
      },
      times: 1,
    });
    jira.sim.inject({
      method: 'PUT',
      path: /^\/rest\/api\/3\/version\//,
      status: 500,
      body: { errorMessages: ['Internal server error'] },
      times: 10,
    });
    await ship(2);
    await shipped(2);
    jira.sim.clearFaults();

    const name = `data-platform ${today()} #2`;
    const rows = await eventually(async () => {
      const all = await events(2);
      expect(all.find((e) => e.outcome === 'fix_version_failed')).toMatchObject({
        error: `1 issue(s) failed: DATA-1903: Jira: refused dpbot's credentials (401) when asked to add fix version ${name} to DATA-1903; check JIRA_API_TOKEN and jira.email`,
      });
      return all;
    });
    const version = jira.versions().find((v) => v.name === name);
    expect(rows.find((e) => e.outcome === 'fix_version_release_failed')).toMatchObject({
      error: `Jira: failed (500) when asked to update version ${version?.id}: Internal server error`,
    });
    // One try and one retry (release.jira.retries: 1), then it is reported, not retried forever.
    expect(jiraRequests('PUT', new RegExp(`/version/${version?.id}$`))).toHaveLength(2);
    expect(version?.released).toBe(false);
    await eventually(() => {
      const done = world.notifier.posted.find((p) => p.message.text.startsWith('Release #2 shipped'));
      expect(done?.message.text).toContain(
        `Jira fix version ${name} could not be marked released: Jira: failed (500)`,
      );
    });
  });
});
