import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { SIMULATED_CATALOG } from '../../app/sandbox/datasetsSandboxPart.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';
import { auditRowsOf, startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';
import { startTaskSimulators, taskConfig, taskEnv } from '../support/taskFixture.ts';

// Impossible task input is refused before anything is submitted (issue 20, item 3): ranges that
// run backwards or too far, and datasets the catalog does not hold; a catalog that cannot be read
// refuses (or, where the task says so, lets the run go unchecked and says that).

const ADA = 'ada@example.com';

async function runAs(app: App, database: TestDatabase, text: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email: ADA, channel: 'C1' });
  const rows = await auditRowsOf<{ kind: string; outcome: string | null }>(
    database,
    requestId,
    'kind, outcome',
  );
  return { outcome, reply: responder.texts().join('\n'), steps: rows.map((r) => `${r.kind} ${r.outcome}`) };
}

describe('task parameters against ranges and the dataset catalog', () => {
  let tasks: Awaited<ReturnType<typeof startTaskSimulators>>;
  let catalog: ReturnType<typeof catalogSimulator>;
  let fixture: Fixture;
  let database: TestDatabase;
  let app: App;
  const world = generateDemoWorld({ now: new Date('2026-11-20T12:00:00Z'), perTeam: 10 });

  beforeAll(async () => {
    tasks = await startTaskSimulators({ autoAdvance: true });
    catalog = catalogSimulator({ items: world.items, pagination: 'page' });
    await catalog.start();
    const settings = taskConfig(tasks.argo.url, tasks.jira.url);
    const backfill = settings.tasks[0] as { parameters: { name: string }[] };
    fixture = createFixture({
      config: {
        ...settings,
        tasks: [
          { ...backfill, ranges: [{ from: 'from', to: 'to', maxSpan: '30d' }] },
          {
            ...backfill,
            name: 'backfill-anyway',
            parameters: backfill.parameters.map((p) =>
              p.name === 'dataset' ? { ...p, catalogDown: 'allow' } : p,
            ),
          },
        ],
        datasets: {
          // Every run reads the catalog afresh, so a failure injected now is what it meets.
          cacheTtl: '1ms',
          errorTtl: '1ms',
          maxStale: '1ms',
          catalog: { ...SIMULATED_CATALOG, url: catalog.url, timeout: '1s' },
        },
      },
      policies: { 'platform.yaml': standardPolicies },
    });
    database = await createTestDatabase();
    app = await startTestApp(fixture, database, { env: taskEnv });
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    await catalog.stop();
    await tasks.stop();
    fixture.remove();
  });

  const run = (text: string) => runAs(app, database, text);
  const submissions = () => tasks.argo.submissions.length;

  it('refuses a range that runs backwards, or further than the task allows, and submits nothing', async () => {
    const before = submissions();
    const backwards = await run('task run backfill dataset=sales.orders_daily from=2026-11-07 to=2026-11-01');
    expect(backwards.outcome).toBe('rejected');
    expect(backwards.reply).toContain(
      'from (2026-11-07) comes after to (2026-11-01); give the range in order',
    );
    expect(backwards.steps).toEqual(['attempt null', 'outcome rejected']);
    const long = await run('task run backfill dataset=sales.orders_daily from=2026-01-01 to=2026-11-01');
    expect(long.outcome).toBe('rejected');
    expect(long.reply).toContain(
      'from 2026-01-01 to to 2026-11-01 is 304 day(s) apart; this task takes at most 30 day(s) at once',
    );
    expect(submissions()).toBe(before);
    // Jira was not asked to open a ticket for either.
    expect(tasks.jira.sim.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('refuses a dataset the catalog does not hold, with the names it does', async () => {
    const before = submissions();
    const r = await run('task run backfill dataset=orders from=2026-11-01 to=2026-11-07');
    expect(r.outcome).toBe('rejected');
    expect(r.reply).toContain(
      'dataset: there is no dataset "orders" in the catalog; did you mean "sales.orders_',
    );
    expect(submissions()).toBe(before);
    const ok = await run('task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07');
    expect(ok.outcome).toBe('ok');
    expect(submissions()).toBe(before + 1);
  });

  it('with the catalog unreachable, refuses and says so, unless the task lets the value go unchecked', async () => {
    const before = submissions();
    catalog.inject({ status: 503, times: 10, method: 'GET' });
    try {
      const refused = await run('task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07');
      expect(refused.outcome).toBe('error');
      expect(refused.reply).toContain(
        'Failed: dataset catalog: could not be read (answered HTTP 503: injected 503), so dataset=sales.orders_daily cannot be checked and nothing was submitted',
      );
      expect(submissions()).toBe(before);
      const anyway = await run(
        'task run backfill-anyway dataset=sales.orders_daily from=2026-11-01 to=2026-11-07',
      );
      expect(anyway.outcome).toBe('ok');
      expect(anyway.reply).toContain(
        'The dataset catalog could not be read (answered HTTP 503: injected 503); dataset=sales.orders_daily went unchecked.',
      );
      expect(submissions()).toBe(before + 1);
    } finally {
      catalog.clearFaults();
    }
  });
});

describe('the README tour of ops tasks, in the sandbox', () => {
  let sandbox: SandboxApp;
  beforeAll(async () => {
    sandbox = await startSandboxApp();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
  });

  it('runs the example backfill, refuses the impossible ones, and shows a failing run', async () => {
    const run = (text: string) => runAs(sandbox.app, sandbox.database, text);
    const good = await run('task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07');
    expect(good.outcome).toBe('ok');
    expect((await run('task run backfill dataset=orders from=2026-11-01 to=2026-11-07')).outcome).toBe(
      'rejected',
    );
    expect(
      (await run('task run backfill dataset=sales.orders_daily from=2026-11-07 to=2026-11-01')).outcome,
    ).toBe('rejected');
    const failing = await run(
      'task run backfill dataset=team-x.events_history from=2026-11-01 to=2026-11-07',
    );
    expect(failing.outcome).toBe('ok');
    const id = /#(\d+)/.exec(failing.reply)?.[1];
    await eventually(async () => {
      const status = await run(`task status ${id}`);
      expect(status.reply).toContain('failed');
    }, 20_000);
  });
});
