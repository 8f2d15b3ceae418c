import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIRM_ACTION, RUN_ACTION } from '../../pipeline/views/common.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

let world: ReleaseWorld;

beforeAll(async () => {
  world = await startReleaseWorld({ config: { githubReleases: true } });
});
afterAll(async () => {
  await world.close();
});

async function prsOf(service: string): Promise<number[]> {
  const rows = await world.database.query<{ number: number }>(
    'SELECT number FROM release_prs WHERE $1 = ANY(services) ORDER BY number',
    [service],
  );
  return rows.rows.map((r) => r.number);
}

const releaseMessage = () => world.notifier.posted.find((p) => p.channel === '#releases' && !p.threadTs);
const threadOf = (service: string) =>
  world.notifier.posted.find((p) => !p.threadTs && p.message.text.startsWith(`${service}:`));

describe('release start', () => {
  it('is refused without the grant, and without a starting point for a first release', async () => {
    const denied = await run(world, 'release start', 'linus@example.com');
    expect(denied.outcome).toBe('denied');
    expect(denied.rows).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'deny', action: 'release.start' }),
    ]);

    const first = await run(world, 'release start', 'ada@example.com');
    expect(first.outcome).toBe('rejected');
    expect(first.texts[0]).toContain('never been shipped by dpbot');
    expect(first.texts[0]).toContain('pass --since');
    expect(first.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'rejected' });

    const bad = await run(world, 'release start --since "next week"', 'ada@example.com');
    expect(bad.outcome).toBe('invalid');
    expect(bad.texts[0]).toContain(
      'since: expected a date (2026-11-01), a duration (7d), or a tag or commit',
    );
  });

  it('collects merged pull requests with one GitHub request per repository and posts one message with a thread per service', async () => {
    const before = world.github.countRequests((r) => r.path === '/graphql');
    const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(started.outcome).toBe('ok');
    // Two repositories, each with fewer than 100 pull requests: one request each.
    expect(world.github.countRequests((r) => r.path === '/graphql') - before).toBe(2);
    expect(started.texts[0]).toContain('read with 2 GitHub request(s)');
    expect(started.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'ok', action: 'release.start' });

    // The pull requests merged after SINCE (the support's generated data), by the folder they touch.
    expect(await prsOf('orders-api')).toEqual([101, 102, 103, 104, 105, 106]);
    expect(await prsOf('ingest')).toEqual([204, 206, 207, 210]);
    expect(await prsOf('catalog')).toEqual([201, 202, 203, 205, 208, 209]);

    // Keys, categories, and the list of pull requests without a key.
    const rows = await world.database.query<{
      number: number;
      jira_keys: string[];
      category: string;
      title: string;
    }>(
      "SELECT number, jira_keys, category, title FROM release_prs WHERE repository = 'acme/orders' ORDER BY number",
    );
    // Only #103 names a key ("Closes DATA-218." in its body); #101 and #105 have lower-case
    // branch keys, which count only when release.jiraProjects is set (it is not here).
    expect(rows.rows.map((r) => [r.number, r.jira_keys])).toEqual([
      [101, []],
      [102, []],
      [103, ['DATA-218']],
      [104, []],
      [105, []],
      [106, []],
    ]);
    for (const row of rows.rows) expect(row.category).not.toBe('');
    for (const ref of [
      'acme/orders#101',
      'acme/orders#102',
      'acme/orders#104',
      'acme/orders#105',
      'acme/orders#106',
    ])
      expect(started.texts[0]).toContain(ref);
    expect(started.texts[0]).not.toContain('acme/orders#103');
    expect(started.texts[0]).toContain('Jira not configured');

    const message = releaseMessage();
    expect(message?.message.text).toMatch(/^Release #1 — \d{4}-\d{2}-\d{2}: Open/);
    // One message per service, each starting its own thread.
    const threads = world.notifier.posted.filter(
      (p) => p.channel === '#releases' && !p.threadTs && p !== message,
    );
    expect(threads.map((t) => t.message.text.split(':')[0])).toEqual(['catalog', 'ingest', 'orders-api']);
    expect(buttons(threadOf('orders-api')?.message.blocks).map((b) => b.label)).toEqual(['Include', 'Skip']);

    const again = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(again.outcome).toBe('conflict');
    expect(again.texts[0]).toContain('release #1 is still open');
  });
});

describe('owners decide', () => {
  it('only owners or release managers may decide, and the refusal is audited', async () => {
    const r = await run(world, 'release include orders-api', 'linus@example.com');
    expect(r.outcome).toBe('denied');
    expect(r.texts[0]).toContain('only the owners of orders-api (grace@example.com) or the release managers');
    expect(r.rows.map((x) => [x.kind, x.decision, x.outcome])).toEqual([
      ['attempt', 'allow', null],
      ['outcome', 'allow', 'denied'],
    ]);
  });

  it('an owner clicks Include in the thread; the release message shows who confirmed', async () => {
    const include = buttons(threadOf('orders-api')?.message.blocks).find((b) => b.label === 'Include');
    expect(include?.value).toBe('release include orders-api --release 1');
    const clicked = await press(world, RUN_ACTION, include?.value ?? '', 'grace@example.com');
    expect(clicked.outcome).toBe('ok');
    expect(clicked.rows[0]).toMatchObject({
      kind: 'attempt',
      decision: 'allow',
      resource: 'service:orders-api',
    });
    const ts = releaseMessage()?.ts ?? '';
    expect(world.notifier.latest(ts)?.text).toContain('orders-api: 6 PRs, included by Grace Hopper');

    // An owner named by Slack id, and an owner through a directory group.
    expect((await run(world, 'release include catalog', 'linus@example.com')).outcome).toBe('ok');
    const ship = await run(world, 'release ship', 'ada@example.com');
    expect(ship.outcome).toBe('conflict');
    expect(ship.texts[0]).toContain('still waiting for a decision on ingest');
    expect(ship.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'conflict' });
    expect(
      (await run(world, 'release skip ingest --reason "waits for the migration"', 'grace@example.com'))
        .outcome,
    ).toBe('ok');
    expect(world.notifier.latest(ts)?.text).toContain('ingest: ');
    expect(world.notifier.latest(ts)?.text).toContain('skipped by Grace Hopper');
  });

  it('a pull request merged after start is a late addition on refresh, and its owners are asked again', async () => {
    world.github.merge('acme/orders', {
      number: 500,
      title: 'fix: [DATA-900] round totals half up',
      body: 'Late fix.',
      branch: 'fix/rounding',
      author: 'grace-h',
      labels: ['bug'],
      files: ['src/totals.ts'],
      mergedAt: new Date(Date.now() + 60_000),
    });
    const r = await run(world, 'release refresh', 'ada@example.com');
    expect(r.outcome).toBe('ok');
    expect(r.texts[0]).toContain('1 late addition(s) (acme/orders#500); asked again: orders-api');
    const late = await world.database.query(
      'SELECT late, jira_keys, category FROM release_prs WHERE number = 500',
    );
    expect(late.rows).toEqual([{ late: true, jira_keys: ['DATA-900'], category: 'fix' }]);
    const decision = await world.database.query(
      "SELECT decision FROM confirmations WHERE service = 'orders-api'",
    );
    expect(decision.rows).toEqual([{ decision: 'pending' }]);
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    const status = await run(world, 'release status', 'linus@example.com');
    expect(status.texts[0]).toContain('orders-api: 7 PRs, included by Grace Hopper');
  });
});

describe('release ship', () => {
  it('asks first, then syncs wave by wave until every application is healthy and settled, then tells stakeholders', async () => {
    const asked = await run(world, 'release ship', 'ada@example.com');
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(asked.texts[0]).toBe('Confirm: Ship release #1: 3 Argo CD application(s) in 1 wave(s)');
    const pendingId = buttons(asked.responder.sent[0]?.message.blocks)[0]?.value ?? '';
    const confirmed = await press(world, CONFIRM_ACTION, pendingId, 'ada@example.com');
    expect(confirmed.outcome).toBe('ok');

    await eventually(
      async () => {
        const r = await world.database.query(
          'SELECT status, notes_posted_at IS NOT NULL AS told FROM releases WHERE id = 1',
        );
        expect(r.rows[0]).toEqual({ status: 'shipped', told: true });
      },
      25_000,
      200,
    );

    const head = (repo: string) => world.github.repository(repo).commits.at(-1)?.oid;
    const apps = await world.database.query(
      'SELECT application, status, revision, previous_history_id::int FROM release_apps ORDER BY application',
    );
    // Argo CD numbers history from 0: what ran before the release is entry 1 of 0 and 1.
    expect(apps.rows).toEqual([
      {
        application: 'catalog-api',
        status: 'healthy',
        revision: head('acme/platform'),
        previous_history_id: 1,
      },
      {
        application: 'catalog-worker',
        status: 'healthy',
        revision: head('acme/platform'),
        previous_history_id: 1,
      },
      { application: 'orders-api', status: 'healthy', revision: head('acme/orders'), previous_history_id: 1 },
    ]);
    for (const name of ['orders-api', 'catalog-api', 'catalog-worker'])
      expect(world.argocd.app(name).syncedRevision).toBe(world.argocd.app(name).history.at(-1)?.revision);
    expect(world.argocd.app('ingest').history).toHaveLength(2);

    // Every step is audited as a system event.
    const events = await world.database.query<{ outcome: string }>(
      "SELECT outcome FROM audit_log WHERE request_id = 'release-1' AND kind = 'event' ORDER BY id",
    );
    const outcomes = events.rows.map((e) => e.outcome);
    expect(outcomes.filter((o) => o === 'sync_started')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'sync_healthy')).toHaveLength(3);
    // The notice jobs audit their batches as they finish, in no set order against the ship's steps.
    expect(outcomes.filter((o) => !o.startsWith('notices_')).slice(-2)).toEqual(['shipped', 'notes_posted']);

    // Stakeholders read plain titles; the external channel gets no links.
    const notes = (channel: string) => world.notifier.posted.find((p) => p.channel === channel)?.message;
    const sales = notes('#sales-ops');
    expect(sales?.text).toMatch(/^What changed on \d{4}-\d{2}-\d{2}/);
    expect(sales?.text).toContain('orders-api: Round totals half up');
    expect(sales?.text).not.toContain('chore');
    expect(JSON.stringify(sales?.blocks)).toContain('https://github.com/acme/orders/pull/500|details');
    const partners = notes('#partners');
    expect(partners?.text).toContain('catalog:');
    expect(JSON.stringify(partners?.blocks)).not.toContain('github.com');
    // ingest was skipped, so #data-consumers hears about catalog only.
    expect(notes('#data-consumers')?.text).not.toContain('ingest:');

    const done = await world.database.query(
      'SELECT service, ship_status FROM release_services ORDER BY service',
    );
    expect(done.rows).toEqual([
      { service: 'catalog', ship_status: 'done' },
      { service: 'ingest', ship_status: 'skipped' },
      { service: 'orders-api', ship_status: 'done' },
    ]);
    // A GitHub release per shipped repository, tagged at the revision that shipped.
    const tag = `release-${new Date().toISOString().slice(0, 10)}-1`;
    expect(world.github.repository('acme/orders').tags.get(tag)).toBe(head('acme/orders'));
    expect(world.github.repository('acme/platform').tags.get(tag)).toBe(head('acme/platform'));
    const release = world.github.requests.find(
      (r) => r.method === 'POST' && r.path === '/repos/acme/orders/releases',
    );
    expect((release?.body as { body?: string } | undefined)?.body).toContain(
      '- fix: [DATA-900] round totals half up (#500)',
    );
    const history = await run(world, 'release history', 'linus@example.com');
    expect(history.texts[0]).toMatch(
      /#1 · shipped · started .* by ada@example.com · 2 service\(s\), \d+ PR\(s\) · shipped/,
    );
    const releaseNotes = await run(world, 'release notes 1', 'linus@example.com');
    expect(releaseNotes.texts[0]).toContain('#500 fix: [DATA-900] round totals half up');
    expect(releaseNotes.texts[0]).toContain('Skipped: ingest');
  });

  it('the next release starts each shipped service from the commit it shipped', async () => {
    world.github.merge('acme/orders', {
      number: 501,
      title: 'feat: weekly totals',
      body: '',
      branch: 'feat/weekly',
      author: 'ada-l',
      labels: [],
      files: ['src/weekly.ts'],
      mergedAt: new Date(Date.now() + 120_000),
    });
    const r = await run(world, 'release start', 'ada@example.com');
    // ingest never shipped: it still needs --since.
    expect(r.outcome).toBe('rejected');
    expect(r.texts[0]).toContain('ingest has never been shipped');
    const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(started.outcome).toBe('ok');
    expect(started.texts[0]).toContain('orders-api: 1 pull request(s) since release #1');
    expect(started.texts[0]).toContain('catalog: 0 pull request(s) since release #1');
    const prs = await world.database.query<{ number: number; services: string[] }>(
      'SELECT number, services FROM release_prs WHERE release_id = 2 ORDER BY number',
    );
    expect(prs.rows.filter((p) => p.services.includes('orders-api')).map((p) => p.number)).toEqual([501]);
    expect(prs.rows.filter((p) => p.services.includes('ingest')).map((p) => p.number)).toEqual([
      204, 206, 207, 210,
    ]);
    const cancel = await run(world, 'release cancel', 'ada@example.com');
    expect(cancel.outcome).toBe('awaiting_confirmation');
  });
});
