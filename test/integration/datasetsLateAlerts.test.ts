import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import type { RunningBot } from '../../app/serve.ts';
import { datasetsDeps } from '../../app/wiring/datasets.ts';
import { sweepLateDatasets } from '../../handlers/datasets/lateAlerts.ts';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';
import { startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';
import { startSandboxApp } from '../support/sandboxApp.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// A late dataset, end to end: the sweep of the running bot reads the simulated catalog and Argo
// over HTTP, posts into the Slack simulator, and the Backfill button is clicked with signed
// block_actions requests into the bot, which opens the form with views.open.
const ADA = 'U0ADA00001'; // data-platform: every action
const LINUS = 'U0LINUS001'; // engineering: no tasks.run
const OPS = 'C0OPS00001';
const ARGO_TOKEN = 'argo-late-token';
const DAY = 86_400_000;

const world = generateDemoWorld({ now: new Date(), perTeam: 16 });
// A daily dataset the world made late (three to six days without a refresh), alone in its team:
// the team's other datasets lose their SLA, so that the channel hears about this one only.
const late = world.items.find(
  (i) => world.scenarios[i.name] === 'late' && i.freshness.sla === 'PT30H' && world.producers[i.name],
);
if (!late) throw new Error('the demo world has no late daily dataset');
for (const item of world.items)
  if (item.team === late.team && item.name !== late.name) item.freshness.sla = null;
const staleSince = late.freshness.last_updated_at;

const catalog = catalogSimulator({ items: world.items, pagination: 'page' });
const argo = new ArgoSimulator({
  token: ARGO_TOKEN,
  cronWorkflows: world.cronWorkflows,
  workflows: world.workflows,
});
const sim = slackWithPeople();

let database: TestDatabase;
let fixture: Fixture;
let bot: RunningBot;
let slack: FakeSlack;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The alerts about the late dataset in its team's channel, as Slack shows them now. */
const alerts = () => sim.messagesIn(OPS).filter((m) => m.history[0]?.text.includes(late.name));

function buttonsOf(blocks: unknown[]): { action_id: string; value: string; text: { text: string } }[] {
  return (
    blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[]
  )
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);
}

const sweep = (app: App) => sweepLateDatasets(datasetsDeps(app.services));

/** A notifier for a second dpbot: what it would post, kept. */
function recordingNotifier(posted: string[]): Notifier {
  return {
    post: async (channel: string, message: Message): Promise<MessageRef> => {
      posted.push(`${channel}: ${message.text}`);
      return { channel, ts: `1.00000${posted.length}` };
    },
    update: async (ref) => ref,
    direct: async () => {},
  };
}

beforeAll(async () => {
  await Promise.all([catalog.start(), argo.start(), sim.start()]);
  database = await createTestDatabase();
  fixture = createFixture({
    config: {
      slack: { apiUrl: sim.apiUrl },
      datasets: {
        // Every sweep reads the catalog anew, so a refreshed dataset is seen at the next one.
        cacheTtl: '1ms',
        catalog: {
          url: catalog.url,
          itemsPath: 'data',
          pagination: { type: 'page', pageSize: 100 },
          fields: {
            owner: 'owner.email',
            lastUpdated: 'freshness.last_updated_at',
            freshnessSla: 'freshness.sla',
          },
        },
        argo: { url: argo.url, timeout: '2s' },
        producers: world.producers,
        lateAlerts: {
          enabled: true,
          // A name: the alert keeps the ID Slack answers with, which chat.update needs.
          teamChannels: { [late.team]: '#ops' },
          // The test sweeps itself; the cron tick must not land in the middle of its steps.
          schedule: '0 0 1 1 *',
          backfill: { task: 'backfill' },
        },
      },
      tasks: [
        {
          name: 'backfill',
          description: "Re-run a dataset's pipeline for a range of days",
          workflowTemplate: 'backfill',
          parameters: [
            { name: 'dataset', type: 'dataset' },
            { name: 'from', type: 'date' },
            { name: 'to', type: 'date' },
          ],
          // At most two days at once: the three to six missing days do not fit.
          ranges: [{ from: 'from', to: 'to', maxSpan: '1d' }],
        },
      ],
    },
    policies: { 'platform.yaml': standardPolicies },
  });
  bot = await startSlackBot(fixture, database, { env: { ARGO_TOKEN } });
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot?.stop();
  await database?.drop();
  fixture?.remove();
  await Promise.all([catalog.stop(), argo.stop(), sim.stop()]);
});

describe('a late dataset', () => {
  it('gets one alert in its team channel: since when, the producer runs and a Backfill button', async () => {
    await sweep(bot.app);
    await eventually(() => expect(alerts()).toHaveLength(1));
    const [alert] = alerts();
    const text = alert?.text ?? '';
    expect(text).toContain(`${late.name} is late`);
    expect(text).toContain('freshness SLA 1d 6h');
    expect(text).toMatch(/late since \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    const ref = world.producers[late.name];
    expect(text).toContain(`producer CronWorkflow ${ref?.namespace}/${ref?.cronWorkflow}`);
    expect(text).toMatch(/Last runs:\n✅ Succeeded · /);
    expect(buttonsOf(alert?.blocks ?? [])).toContainEqual(
      expect.objectContaining({
        action_id: 'dp.run',
        value: `backfill ${late.name} task=backfill`,
        text: expect.objectContaining({ text: 'Backfill' }),
      }),
    );
    const rows = await database.query<{
      dataset: string;
      late_since: Date;
      channel: string;
      message_ts: string;
    }>('SELECT dataset, late_since, channel, message_ts FROM dataset_late_alerts');
    expect(rows.rows).toEqual([
      { dataset: late.name, late_since: new Date(staleSince ?? ''), channel: OPS, message_ts: alert?.ts },
    ]);
  });

  it('is not alerted again by a second sweep, nor by a second dpbot on the same database', async () => {
    const second = await sweep(bot.app);
    expect(second.posted).toBe(0);
    const posted: string[] = [];
    const other = await startTestApp(fixture, database, {
      env: { ARGO_TOKEN },
      notifier: recordingNotifier(posted),
    });
    try {
      expect(await sweep(other)).toMatchObject({ posted: 0, failed: 0 });
    } finally {
      await other.close();
    }
    expect(posted).toEqual([]);
    expect(alerts()).toHaveLength(1);
    const audited = await database.query<{ outcome: string }>(
      "SELECT outcome FROM audit_log WHERE resource = $1 AND outcome LIKE 'late_alert%'",
      [`dataset:${late.name}`],
    );
    expect(audited.rows).toEqual([{ outcome: 'late_alert_posted' }]);
  });

  it('opens the backfill form from the button, the most recent days the task takes filled in', async () => {
    const [alert] = alerts();
    const click = await slack.click({
      user: ADA,
      actionId: 'dp.run',
      value: `backfill ${late.name} task=backfill`,
      messageTs: alert?.ts ?? '',
    });
    expect(click.status).toBe(200);
    let view: Record<string, unknown> | undefined;
    await eventually(() => {
      view = sim.openedViews.at(-1)?.view;
      expect(view).toBeDefined();
    }, 10_000);
    const blocks = (view?.blocks ?? []) as {
      type: string;
      block_id?: string;
      element?: Record<string, unknown>;
      elements?: { text: string }[];
    }[];
    const input = (id: string) => blocks.find((b) => b.type === 'input' && b.block_id === id)?.element;
    // The world's producers run in UTC, so the days are UTC days.
    const today = day(Date.now());
    expect(input('dataset')).toMatchObject({ initial_option: { value: late.name } });
    expect(input('to')).toMatchObject({ initial_date: today });
    expect(input('from')).toMatchObject({ initial_date: day(Date.now() - DAY) });
    const note =
      blocks
        .find((b) => b.type === 'context')
        ?.elements?.map((e) => e.text)
        .join(' ') ?? '';
    const missingFrom = day(Date.parse(`${day(Date.parse(staleSince ?? ''))}T00:00:00Z`) + DAY);
    expect(note).toContain(`the missing days are ${missingFrom} to ${today}`);
    expect(note).toContain(`run it again for ${missingFrom} to ${day(Date.now() - 2 * DAY)}`);
    expect(JSON.parse(String(view?.private_metadata))).toMatchObject({ prefix: 'task run backfill' });
    await eventually(async () => {
      const rows = await database.query<{ outcome: string; action: string; resource: string }>(
        "SELECT outcome, action, resource FROM audit_log WHERE command = 'backfill' AND kind = 'outcome'",
      );
      expect(rows.rows).toContainEqual({ outcome: 'ok', action: 'tasks.run', resource: 'task:backfill' });
    });
  });

  it('tells someone who may not run the task so, privately, and audits the refusal', async () => {
    const opened = sim.openedViews.length;
    const click = await slack.click({
      user: LINUS,
      actionId: 'dp.run',
      value: `backfill ${late.name} task=backfill`,
      messageTs: alerts()[0]?.ts ?? '',
    });
    await eventually(() => expect(slack.responses(click.responseId)).toHaveLength(1));
    const [answer] = slack.responses(click.responseId);
    expect(answer?.response_type ?? 'ephemeral').toBe('ephemeral');
    expect(String(answer?.text)).toContain('tasks.run');
    expect(String(answer?.text)).toContain('task:backfill');
    expect(sim.openedViews).toHaveLength(opened);
    const denied = await database.query<{ decision: string }>(
      "SELECT decision FROM audit_log WHERE command = 'backfill' AND email = 'linus@example.com'",
    );
    expect(denied.rows).toContainEqual({ decision: 'deny' });
  });

  it('has its alert edited in place when the data is fresh again, and a new lateness alerted anew', async () => {
    const [alert] = alerts();
    const refreshed = new Date(Date.now() - 60_000);
    late.freshness.last_updated_at = refreshed.toISOString();
    // What counts is what Slack shows and what the table holds.
    await sweep(bot.app);
    const [edited] = alerts();
    expect(alerts()).toHaveLength(1);
    expect(edited?.ts).toBe(alert?.ts);
    expect(edited?.history.length).toBeGreaterThan(1);
    expect(edited?.text).toContain(`${late.name} is fresh again since`);
    expect(buttonsOf(edited?.blocks ?? [])).toEqual([]);
    const resolved = await database.query<{ fresh_at: Date | null; resolved: boolean }>(
      'SELECT fresh_at, resolved_at IS NOT NULL AS resolved FROM dataset_late_alerts',
    );
    expect(resolved.rows).toEqual([{ fresh_at: refreshed, resolved: true }]);
    // A second sweep finds nothing more to do.
    expect(await sweep(bot.app)).toMatchObject({ resolved: 0, posted: 0 });
    expect(alerts()[0]?.history).toHaveLength(edited?.history.length ?? 0);

    // Then it stops again: a new lateness, a new alert — one, though two dpbots sweep at once.
    late.freshness.last_updated_at = new Date(Date.now() - 2 * DAY).toISOString();
    const posted: string[] = [];
    const other = await startTestApp(fixture, database, {
      env: { ARGO_TOKEN },
      notifier: recordingNotifier(posted),
    });
    try {
      await Promise.all([sweep(bot.app), sweep(other)]);
    } finally {
      await other.close();
    }
    expect(alerts().length + posted.length).toBe(2);
    const rows = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM dataset_late_alerts');
    expect(rows.rows).toEqual([{ n: 2 }]);
    // The new alert, whichever dpbot posted it.
    expect(
      [
        ...alerts()
          .slice(1)
          .map((m) => m.text),
        ...posted,
      ].join('\n'),
    ).toContain(`${late.name} is late`);
  });
});

describe('npm start (the example configuration in the sandbox)', () => {
  it('alerts the demo catalog’s late finance datasets in #finance-data, and nothing else', async () => {
    const sandbox = await startSandboxApp();
    try {
      const posted: { channel: string; text: string }[] = [];
      const deps = datasetsDeps(sandbox.app.services);
      const recording: Notifier = {
        post: async (channel: string, message: Message): Promise<MessageRef> => {
          posted.push({ channel, text: message.text });
          return { channel: 'C0FINANCE1', ts: `1.00000${posted.length}` };
        },
        update: async (ref) => ref,
        direct: async () => {},
      };
      const lateAlerts = deps.lateAlerts;
      if (!lateAlerts) throw new Error('no late alerts in the sandbox');
      await sweepLateDatasets({ ...deps, lateAlerts: { ...lateAlerts, notifier: recording } });
      expect(posted.length).toBeGreaterThan(0);
      expect(new Set(posted.map((p) => p.channel))).toEqual(new Set(['#finance-data']));
      for (const p of posted) expect(p.text).toMatch(/^🟠 finance\.\S+ is late\n/);
      expect(posted.map((p) => p.text).join('\n')).toContain('Last runs:');
    } finally {
      await sandbox.close();
    }
  });
});
