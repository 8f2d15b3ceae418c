import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/loadConfig.ts';
import type { RunningBot } from '../../app/serve.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { MODAL_INPUT } from '../../pipeline/views/modal.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { FakeSlack, serveSandboxSlack, slackWithPeople } from '../support/slack.ts';

// What a Slack user sees of forms, pages and scaling, through signed requests into dpbot in front of
// the sandbox (the example configuration, its simulated Kubernetes, Argo and Jira).
const NIA = 'U0NEWCOMER';
const OPS = 'C0OPS00001';

interface Button {
  action_id: string;
  value: string;
  style?: string;
}

/** The buttons of a message as Slack got it. */
function buttonsOf(body: Record<string, unknown> | undefined): Button[] {
  const blocks = (body?.blocks ?? []) as { type: string; elements?: Button[] }[];
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

describe('Slack UX in front of the sandbox', () => {
  const sim = slackWithPeople().addUser({
    id: NIA,
    name: 'nia',
    realName: 'Nia Newcomer',
    email: 'nia@company.test',
  });
  let database: TestDatabase;
  let bot: RunningBot;
  let slack: FakeSlack;

  beforeAll(async () => {
    await sim.start();
    database = await createTestDatabase();
    const loaded = loadConfig({ env: {}, cwd: '/nonexistent-so-the-example-is-used' });
    bot = await serveSandboxSlack({ loaded, sim, database, admin: 'nia@company.test' });
    slack = new FakeSlack(bot.server.url, sim);
    // A first request warms the process up (identity, catalog), so that a form opens within the
    // trigger's 3 seconds on a busy machine too.
    const warm = await slack.slash('whoami', NIA);
    await eventually(() => expect(slack.responses(warm.responseId)).toHaveLength(1), 15_000);
  });
  afterAll(async () => {
    await bot?.stop();
    await database?.drop();
    await sim.stop();
  });

  /** `/dp <text>` as Nia; the first message back through the response_url. */
  async function ask(text: string): Promise<Record<string, unknown>> {
    const sent = await slack.slash(text, NIA);
    expect(sent.status).toBe(200);
    let reply: Record<string, unknown> | undefined;
    await eventually(() => {
      reply = slack.responses(sent.responseId)[0];
      expect(reply).toBeDefined();
    }, 15_000);
    return reply ?? {};
  }

  const topLevel = () => sim.messagesIn(OPS).filter((m) => !m.threadTs);

  /** The backfill form's inputs as Slack sends them back on submission. */
  function backfillValues(input: { dataset: string; from: string; to: string; ticket: string }) {
    return {
      dataset: {
        'dp.opt.dataset': {
          type: 'external_select',
          selected_option: { text: { type: 'plain_text', text: input.dataset }, value: input.dataset },
        },
      },
      from: { [MODAL_INPUT]: { type: 'datepicker', selected_date: input.from } },
      to: { [MODAL_INPUT]: { type: 'datepicker', selected_date: input.to } },
      mode: {
        [MODAL_INPUT]: {
          type: 'static_select',
          selected_option: { text: { type: 'plain_text', text: 'append' }, value: 'append' },
        },
      },
      ticket: { [MODAL_INPUT]: { type: 'plain_text_input', value: input.ticket } },
    };
  }

  it('forms: a bad value is shown under its input and the form stays open; nothing runs', async () => {
    const names = await bot.app.services.datasets?.catalogNames();
    const dataset = names?.kind === 'ok' ? names.names[0] : undefined;
    if (!dataset) throw new Error('the sandbox catalog has no dataset');
    const typed = await slack.slash('task run backfill', NIA);
    const opened = await eventually(() => {
      const found = sim.openedViews.find((o) => o.triggerId === typed.triggerId);
      expect(found).toBeDefined();
      return found;
    }, 15_000);
    if (!opened) throw new Error('no form opened');
    const submit = (values: Parameters<typeof backfillValues>[0]) =>
      slack.submit(NIA, { ...opened.view, id: opened.id, state: { values: backfillValues(values) } });

    const reversed = await submit({ dataset, from: '2026-11-07', to: '2026-11-01', ticket: '' });
    expect(reversed.judged).toEqual({
      open: true,
      errors: { from: 'from (2026-11-07) comes after to (2026-11-01); give the range in order' },
    });
    const badTicket = await submit({ dataset, from: '2026-11-01', to: '2026-11-02', ticket: 'not a key' });
    expect(badTicket.judged).toEqual({
      open: true,
      errors: { ticket: '"not a key" is not a Jira issue key such as DP-123' },
    });
    expect(sim.isViewOpen(opened.id)).toBe(true);
    // Refused, audited as such, and nothing came as a message instead.
    const rows = await database.query(
      "SELECT outcome FROM audit_log WHERE entry = 'modal' AND kind = 'outcome' ORDER BY id",
    );
    expect(rows.rows.map((r) => r.outcome)).toEqual(['rejected', 'rejected']);
    expect(sim.ephemerals.filter((e) => e.user === NIA)).toEqual([]);
    expect(sim.refused.filter((r) => r.method === 'view_submission')).toEqual([]);

    // What no input can fix (someone dpbot does not know) closes the form and comes as a message.
    const stranger = await slack.submit('U0MALLORY1', {
      ...opened.view,
      id: opened.id,
      state: { values: backfillValues({ dataset, from: '2026-11-01', to: '2026-11-02', ticket: '' }) },
    });
    expect(stranger.judged).toEqual({ open: false });
    await eventually(() =>
      expect(sim.ephemerals.find((e) => e.user === 'U0MALLORY1')?.text).toContain('Not allowed'),
    );

    // App Home tells what became of each: the form opened, the submissions refused.
    await slack.event({ type: 'app_home_opened', user: NIA, channel: 'D0NEWCOMER', tab: 'home' });
    await eventually(() => expect(sim.publishedViews.get(NIA)).toBeDefined());
    const home = JSON.stringify(sim.publishedViews.get(NIA));
    expect(home).toContain('`task run backfill` · form opened');
    expect(home).toContain('from=2026-11-07 to=2026-11-01 mode=append` · refused');
  });

  it('paging: Next and Previous replace the page in place; access sync is one message kept current', async () => {
    const listed = await slack.slash('datasets', NIA);
    const mine = (id: string) => sim.shownResponses((m) => m.id === id);
    await eventually(() => expect(mine(listed.responseId)).toHaveLength(1), 15_000);
    const [page] = mine(listed.responseId);
    if (!page) throw new Error('no datasets page');
    expect(String(page.body.text)).toMatch(/page 1 of [2-9]/);
    const shown = sim.shownResponses().length;
    const turn = async (label: string, expected: RegExp) => {
      const button = buttonsOf(page.body).find(
        (b) => (b as { text?: { text: string } }).text?.text === label,
      );
      if (!button) throw new Error(`no ${label} button`);
      await slack.click({
        user: NIA,
        actionId: button.action_id,
        value: button.value,
        messageTs: page.ts,
        ephemeral: true,
      });
      await eventually(() => expect(String(page.body.text)).toMatch(expected), 15_000);
    };
    await turn('Next ›', /page 2 of/);
    await turn('‹ Previous', /page 1 of/);
    // The same one message, shown three ways in turn; no other appeared.
    expect(page.history).toHaveLength(3);
    expect(sim.shownResponses()).toHaveLength(shown);

    const synced = await slack.slash('access sync', NIA);
    await eventually(
      () => expect(String(mine(synced.responseId).at(-1)?.body.text)).toContain('Directory sync'),
      15_000,
    );
    expect(mine(synced.responseId)).toHaveLength(1);
    expect(sim.ephemerals.filter((e) => e.user === NIA)).toEqual([]);
  });

  it('scaling: red Confirm only for fewer workers, a scale-down told as pods stopping, an early revert said once in its thread', async () => {
    // The sandbox's directory has only Nia's e-mail: Slack's name for her stands in.
    expect(String((await ask('whoami')).text)).toContain('You are Nia Newcomer (nia@company.test).');
    // 4 → 10 is more than 2×: asked first, and adding workers is no danger.
    const up = await ask('scale team-x 10 --reason "backfill"');
    const confirmUp = buttonsOf(up).find((b) => b.action_id === CONFIRM_ACTION);
    expect(confirmUp?.style).toBe('primary');
    const before = topLevel().length;
    await slack.click({
      user: NIA,
      actionId: CONFIRM_ACTION,
      value: confirmUp?.value ?? '',
      ephemeral: true,
    });
    await eventually(() => expect(topLevel().length).toBe(before + 1), 15_000);

    // 10 → 3 is a reduction of more than 2×: asked first, in red.
    const down = await ask('scale team-x 3');
    expect(buttonsOf(down).find((b) => b.action_id === CONFIRM_ACTION)?.style).toBe('danger');

    // 10 → 6 for an hour: announced as pods going away, not "6/6 ready" while four still stop.
    const announced = topLevel().length;
    await slack.slash('scale team-x 6 --for 1h --reason "cost"', NIA);
    await eventually(() => expect(topLevel().length).toBe(announced + 1), 15_000);
    const shrink = topLevel().at(-1);
    expect(shrink?.text).toMatch(/still stopping \(down to 6\)|Scaled down to 6/);
    // Named by a mention, not by the e-mail the sandbox's directory gives as a name.
    expect(shrink?.text).toMatch(/^<@U0NEWCOMER> scaled team-x\/workers 10 → 6/);
    expect(JSON.stringify(shrink?.blocks)).toContain('*<@U0NEWCOMER> scaled team-x/workers 10 → 6');
    expect(JSON.stringify(sim.messagesIn(OPS))).not.toContain('nia@company.test');
    expect(shrink?.text).not.toMatch(/\b(?:[7-9]|10)\/6 ready/);

    // The early revert: one message, in the thread of the change it undoes; none in the channel.
    const early = await slack.slash('scale team-x --revert --reason "done early"', NIA);
    await eventually(
      () => expect(sim.messagesIn(OPS).filter((m) => m.threadTs === shrink?.ts)).toHaveLength(1),
      15_000,
    );
    const [threaded] = sim.messagesIn(OPS).filter((m) => m.threadTs === shrink?.ts);
    expect(threaded?.text).toContain('<@U0NEWCOMER> reverted team-x/workers early: 6 → 10');
    expect(topLevel()).toHaveLength(announced + 1);
    await eventually(() =>
      expect(String(slack.responses(early.responseId)[0]?.text)).toContain(
        'The thread of the change says so',
      ),
    );
  });
});
