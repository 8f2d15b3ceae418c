import type { InputBlock, KnownBlock, ModalView } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import type { Message } from '../../pipeline/message.ts';
import { actionKind } from '../../pipeline/message.ts';
import { PAGE_ACTION } from '../../pipeline/views/common.ts';
import { MODAL_INPUT, modalSubmissionToText } from '../../pipeline/views/modal.ts';
import { DEMO_NAMESPACE } from '../../sandbox/argo/demoTemplates.ts';
import { checkMessage, checkView } from '../../sandbox/slack/blockKitLimits.ts';
import { pressButton, startTestApp, typeCommand } from '../support/app.ts';
import { BIG_TASK, bigParameters, bigTask, choreTasks, REGIONS } from '../support/bigData.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardDirectory } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';
import { startTaskSimulators, taskConfig, taskEnv, taskPolicies } from '../support/taskFixture.ts';

// Issue 15, item 2: a task with 25 parameters, one of them with 300 allowed values, and more
// tasks than one message lists, through the real pipeline; every answer and form is held to
// Slack's limits whether or not it reaches Slack.
const BIG = BIG_TASK;
const parameters = bigParameters;
const EXTRA = choreTasks('echo');

let sims: Awaited<ReturnType<typeof startTaskSimulators>>;
let fixture: Fixture;
let database: TestDatabase;
let app: App;
const notifier = recordingNotifier();

beforeAll(async () => {
  sims = await startTaskSimulators({ autoAdvance: false });
  sims.argo.addTemplate({
    kind: 'WorkflowTemplate',
    name: BIG,
    namespace: DEMO_NAMESPACE,
    parameters: parameters.map((p) => ({ name: p.name })),
    steps: () => [{ name: 'work', logs: ['working'] }],
  });
  const base = taskConfig(sims.argo.url, sims.jira.url);
  fixture = createFixture({
    config: {
      ...base,
      tasks: [...base.tasks, bigTask(BIG), ...EXTRA],
    },
    policies: taskPolicies,
    directory: standardDirectory,
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { env: taskEnv, notifier });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  await sims.stop();
  fixture.remove();
});

const TASKS = 8 + 1 + EXTRA.length;

async function run(text: string, options: { openModal?: (view: ModalView) => Promise<boolean> } = {}) {
  const { outcome, responder } = await typeCommand(app, text, {
    email: 'ada@example.com',
    channel: 'C1',
    ...(options.openModal ? { entry: 'slack', openModal: options.openModal } : {}),
  });
  return { outcome, message: responder.sent[0]?.message as Message };
}

const click = (value: string) => pressButton(app, value, { email: 'ada@example.com', channel: 'C1' });

/** The page buttons of a message (view buttons in actions blocks). */
function pageButtons(message: Message): Record<string, string> {
  const out: Record<string, string> = {};
  for (const block of (message.blocks ?? []) as KnownBlock[]) {
    if (block.type !== 'actions') continue;
    for (const el of block.elements)
      if (el.type === 'button' && actionKind(el.action_id ?? '') === PAGE_ACTION)
        out[el.text.text] = el.value ?? '';
  }
  return out;
}

const withinLimits = (message: Message) =>
  expect(checkMessage(slackPayload(message)), message.text.slice(0, 300)).toEqual([]);
const listedTasks = (text: string) => [...text.matchAll(/^task run ([a-z0-9-]+)/gm)].map((m) => m[1]);

describe('task list with 46 tasks', () => {
  it('shows 20 a page, the count of the rest and the command for them, and pages with Next / Previous', async () => {
    const first = await run('task list');
    expect(first.outcome).toBe('ok');
    withinLimits(first.message);
    expect(first.message.text.split('\n')[0]).toBe(`Tasks you may run: ${TASKS} · page 1 of 3:`);
    expect(listedTasks(first.message.text)).toHaveLength(20);
    expect(first.message.text).toContain(`${TASKS - 20} more: task list page=2`);
    expect(pageButtons(first.message)).toEqual({ 'Next ›': 'task list page=2' });

    const seen = listedTasks(first.message.text);
    const second = await click('task list page=2');
    withinLimits(second.message);
    expect(pageButtons(second.message)).toEqual({
      '‹ Previous': 'task list page=1',
      'Next ›': 'task list page=3',
    });
    seen.push(...listedTasks(second.message.text));
    const last = await click('task list page=3');
    withinLimits(last.message);
    expect(pageButtons(last.message)).toEqual({ '‹ Previous': 'task list page=2' });
    expect(last.message.text).not.toContain('more: task list');
    seen.push(...listedTasks(last.message.text));
    expect(seen).toHaveLength(TASKS);
    expect(new Set(seen).size).toBe(TASKS);
    expect(seen).toContain(BIG);
  });

  it('a typed page past the end is refused with the last page named', async () => {
    const r = await run('task list page=7');
    expect(r.outcome).toBe('rejected');
    withinLimits(r.message);
    expect(r.message.text).toContain('page 7 is past the last page (3)');
  });

  it('a task with 25 parameters shows its whole usage line beside its description', async () => {
    const page = await run('task list');
    const all = [page, await click('task list page=2'), await click('task list page=3')];
    const usage = all.flatMap((p) => p.message.text.split('\n')).find((l) => l.startsWith(`task run ${BIG}`));
    expect(usage).toMatch(
      new RegExp(`^task run ${BIG} region=<enum> dataset=<dataset> from=<date> to=<date> `),
    );
    expect(usage).toContain(' [flag3=<true|false>] [ticket=<JIRA-KEY>] — A backfill with every knob');
  });
});

describe(`the ${BIG} form: 25 parameters, one with 300 values`, () => {
  let view: ModalView | undefined;

  it('opens within the modal limits; the 300 values are typed, the hint names some and the command for all', async () => {
    const r = await run(`task run ${BIG}`, {
      openModal: async (v) => {
        view = v;
        return true;
      },
    });
    expect(r.outcome).toBe('ok');
    expect(view).toBeDefined();
    expect(checkView(view)).toEqual([]);
    const inputs = (view?.blocks ?? []).filter((b): b is InputBlock => b.type === 'input');
    expect(inputs.map((b) => b.block_id)).toEqual([...parameters.map((p) => p.name), 'ticket']);
    const region = inputs[0];
    expect(region?.element.type).toBe('plain_text_input');
    const hint = region?.hint?.text ?? '';
    expect(hint).toBe(
      `Where the job runs — one of ${REGIONS.slice(0, 10).join(', ')} and 290 more ("task list ${BIG} region" lists them)`,
    );
    // A short list is still a select.
    const mode = inputs[4];
    expect(mode?.element.type).toBe('static_select');
  });

  it('its submission runs with all 25 parameters; a typed region is checked against the 300', async () => {
    const values: Record<string, Record<string, { type: string; value?: string; selected_date?: string }>> = {
      region: { [MODAL_INPUT]: { type: 'plain_text_input', value: 'region-299' } },
      dataset: { 'dp.opt.dataset': { type: 'external_select', value: 'orders' } },
      from: { [MODAL_INPUT]: { type: 'datepicker', selected_date: '2026-11-01' } },
      to: { [MODAL_INPUT]: { type: 'datepicker', selected_date: '2026-11-02' } },
    };
    for (const p of parameters.filter((x) => x.type === 'string'))
      values[p.name] = { [MODAL_INPUT]: { type: 'plain_text_input', value: 'prefix7_abc' } };
    const { text } = modalSubmissionToText({
      private_metadata: view?.private_metadata ?? '',
      state: { values },
    });
    const ok = await run(text);
    expect(ok.outcome).toBe('ok');
    withinLimits(ok.message);
    const sent = sims.argo.submissions.at(-1)?.submitOptions?.parameters ?? [];
    expect(sent).toHaveLength(25);
    expect(sent[0]).toBe('region=region-299');
    const announced = notifier.posts.at(-1)?.message;
    expect(announced).toBeDefined();
    if (announced) withinLimits(announced);

    const wrong = await run(text.replace('region=region-299', 'region=region-300'));
    expect(wrong.outcome).toBe('rejected');
    withinLimits(wrong.message);
    expect(wrong.message.text).toContain(
      `region: must be one of region-000, region-001, region-002, region-003, region-004, region-005, region-006, region-007, region-008, region-009 and 290 more ("task list ${BIG} region" lists them)`,
    );
  });

  it('25 bad values at once: the first problems and how many more, within one section', async () => {
    const bad = parameters
      .filter((p) => p.name !== 'mode')
      .map((p) => `${p.name}=${p.type === 'int' ? '1000' : p.type === 'bool' ? 'maybe' : 'nope!'}`);
    const r = await run(`task run ${BIG} ${bad.join(' ')}`);
    expect(r.outcome).toBe('rejected');
    withinLimits(r.message);
    expect(r.message.text).toMatch(/^Not run: region: must be one of region-000, /);
    expect(r.message.text).toContain('and 19 more problem(s)');
    expect(r.message.text).toContain(`\nUsage: task run ${BIG} region=&lt;enum&gt; `);
  });

  it('in the console, 21 missing parameters are counted and named in part, within the limits', async () => {
    const r = await run(`task run ${BIG} region=region-001`);
    expect(r.outcome).toBe('rejected');
    withinLimits(r.message);
    expect(r.message.text).toContain(
      `${BIG} needs 15 more parameters: dataset, from, to, option_with_a_long`,
    );
    expect(r.message.text).toContain(`"task run ${BIG}" in Slack opens a form for them`);
  });
});

describe('task list <task> [parameter]', () => {
  it('lists the 300 regions 100 a page, with the count of the rest, Next and Previous', async () => {
    const first = await run(`task list ${BIG} region`);
    expect(first.outcome).toBe('ok');
    withinLimits(first.message);
    const lines = first.message.text.split('\n');
    expect(lines[0]).toBe(`${BIG} region: 300 value(s) · 1–100, page 1 of 3`);
    expect(lines.slice(1, 101)).toEqual(REGIONS.slice(0, 100));
    expect(lines.at(-1)).toBe(`200 more: task list ${BIG} region page=2`);
    expect(pageButtons(first.message)).toEqual({ 'Next ›': `task list ${BIG} region page=2` });

    const last = await click(`task list ${BIG} region page=3`);
    withinLimits(last.message);
    expect(last.message.text.split('\n').slice(1)).toEqual(REGIONS.slice(200));
    expect(pageButtons(last.message)).toEqual({ '‹ Previous': `task list ${BIG} region page=2` });
  });

  it('shows one task: its usage and a line per parameter, the 300 values named in part with the command for all', async () => {
    const r = await run(`task list ${BIG}`);
    expect(r.outcome).toBe('ok');
    withinLimits(r.message);
    const lines = r.message.text.split('\n');
    expect(lines[0]).toBe(`${BIG}: A backfill with every knob`);
    expect(lines[1]).toMatch(new RegExp(`^task run ${BIG} region=<enum> `));
    expect(lines.slice(2).map((l) => l.split(/[ :]/)[0])).toEqual(parameters.map((p) => p.name));
    expect(lines[2]).toBe(
      `region: one of ${REGIONS.slice(0, 10).join(', ')} and 290 more ("task list ${BIG} region" lists them) — Where the job runs`,
    );
    expect(lines[6]).toBe('mode (optional, default append): one of append, overwrite');
  });

  it('says so for a parameter without a list, and names the parameters for a wrong one', async () => {
    const free = await run(`task list ${BIG} dataset`);
    expect(free.message.text).toBe(`${BIG} dataset takes any dataset value; it has no list of values.`);
    const wrong = await run(`task list ${BIG} nope`);
    expect(wrong.outcome).toBe('rejected');
    withinLimits(wrong.message);
    expect(wrong.message.text).toContain(
      `${BIG} has no parameter "nope" (parameters: region, dataset, from, `,
    );
    expect(wrong.message.text).toContain('and 5 more)');
  });
});
