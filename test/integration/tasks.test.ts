import type { ModalView } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { DATASET_OPTIONS_ACTION } from '../../handlers/datasets/options.ts';
import type { Message } from '../../pipeline/message.ts';
import { APPROVE_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { COMMAND_MODAL, MODAL_INPUT, modalSubmissionToText } from '../../pipeline/views/modal.ts';
import { DEMO_NAMESPACE } from '../../sandbox/argo/demoTemplates.ts';
import { auditRowsOf, recordingResponder, startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardDirectory } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';
import { startTaskSimulators, taskConfig, taskEnv, taskPolicies } from '../support/taskFixture.ts';

let sims: Awaited<ReturnType<typeof startTaskSimulators>>;
let fixture: Fixture;
let database: TestDatabase;
let app: App;
const notifier = recordingNotifier();
/** How far the Argo simulator's clock is ahead of the wall clock: TTLs pass when a test moves it. */
let argoClockAhead = 0;

beforeAll(async () => {
  // Workflows move only when a test advances them: these tests look at one moment at a time.
  sims = await startTaskSimulators({
    autoAdvance: false,
    now: () => new Date(Date.now() + argoClockAhead),
  });
  fixture = createFixture({
    config: taskConfig(sims.argo.url, sims.jira.url),
    policies: taskPolicies,
    // Nora is known to dpbot but holds no grant at all.
    directory: {
      ...standardDirectory,
      users: [...standardDirectory.users, { email: 'nora@example.com', name: 'Nora', slackId: 'U0NORA0001' }],
    },
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

async function run(
  text: string,
  email: string,
  options: { openModal?: (view: ModalView) => Promise<boolean> } = {},
) {
  const { outcome, responder, requestId } = await typeCommand(app, text, {
    email,
    channel: 'C1',
    ...(options.openModal ? { entry: 'slack', openModal: options.openModal } : {}),
  });
  const rows = await auditRowsOf(
    database,
    requestId,
    'kind, decision, outcome, error, email, action, resource, detail',
  );
  const reply = responder.sent[0]?.message;
  return { outcome, reply, text: reply?.text ?? '', rows, requestId };
}

async function confirm(message: Message | undefined, email: string) {
  const actions = message?.blocks?.find((b) => b.type === 'actions');
  const button = actions && 'elements' in actions ? actions.elements[0] : undefined;
  const value = button && 'value' in button ? String(button.value) : '';
  const responder = recordingResponder();
  const outcome = await app.pipeline.handleAction({
    entry: 'button',
    actionId: CONFIRM_ACTION,
    value,
    caller: { email },
    channel: 'C1',
    responder,
  });
  return { outcome, texts: responder.texts() };
}

const runIdOf = (text: string) => Number(/#(\d+)/.exec(text)?.[1] ?? Number.NaN);
const runRow = async (id: number) =>
  (await database.query('SELECT * FROM task_runs WHERE id = $1', [id])).rows[0] as Record<string, unknown>;
const lastSubmission = () => sims.argo.submissions.at(-1);

describe('task list', () => {
  it('shows only the tasks the caller may run', async () => {
    const names = (text: string) => [...text.matchAll(/^task run ([a-z-]+)/gm)].map((m) => m[1]);
    expect(names((await run('task list', 'linus@example.com')).text)).toEqual(['backfill', 'echo']);
    expect(names((await run('task list', 'grace@example.com')).text)).toEqual([
      'backfill',
      'compact-table',
      'echo',
    ]);
    const nora = await run('task list', 'nora@example.com');
    expect(nora.text).toBe('There are 8 task(s), but none you may run. Ask #data-platform for access.');
    expect(names((await run('task list', 'ada@example.com')).text)).toContain('reprocess-partition');
    const listed = await run('task list', 'linus@example.com');
    expect(listed.rows.map((r) => [r.kind, r.outcome])).toEqual([
      ['attempt', null],
      ['outcome', 'ok'],
    ]);
  });
});

describe('task run', () => {
  it('submits from the template with the parameters and labels, announces it, opens a ticket, audits it', async () => {
    const r = await run(
      'task run backfill dataset=orders from=2026-11-01 to=2026-11-07',
      'linus@example.com',
    );
    expect(r.outcome).toBe('ok');
    const id = runIdOf(r.text);
    expect(r.text).toMatch(/^Started backfill #\d+ \(workflow backfill-[0-9a-f]{5} in data-jobs\)/);
    const sent = lastSubmission();
    expect(sent).toMatchObject({
      namespace: DEMO_NAMESPACE,
      resourceKind: 'WorkflowTemplate',
      resourceName: 'backfill',
    });
    expect(sent?.submitOptions?.parameters).toEqual([
      'dataset=orders',
      'from=2026-11-01',
      'to=2026-11-07',
      'mode=append',
    ]);
    expect(sent?.submitOptions?.labels).toBe(
      `dpbot/task=backfill,dpbot/run=${id},dpbot/requester=linus_at_example.com,dpbot/slack-user=U0LINUS001,dpbot/request-id=${r.requestId}`,
    );
    const row = await runRow(id);
    expect(row).toMatchObject({
      task: 'backfill',
      requester_email: 'linus@example.com',
      channel: 'C1',
      phase: 'Pending',
    });
    expect(row.workflow_name).toMatch(/^backfill-/);
    expect(row.jira_key).toMatch(/^DP-\d+$/);
    const ticket = sims.jira.issue(String(row.jira_key));
    expect(ticket?.summary).toBe(
      `dpbot: backfill #${id} — dataset=orders, from=2026-11-01, to=2026-11-07, mode=append`,
    );

    const announcement = notifier.posted.find((p) => p.ref.ts === row.message_ts);
    expect(announcement?.ref.channel).toBe('C1');
    expect(announcement?.message.visibility).toBe('in_channel');
    expect(announcement?.message.text).toContain(`backfill #${id} — waiting to start`);
    expect(announcement?.message.text).toContain(
      'Requested by <@U0LINUS001> · dataset=orders, from=2026-11-01',
    );

    expect(r.rows.map((x) => [x.kind, x.decision, x.outcome])).toEqual([
      ['attempt', 'allow', null],
      ['step', null, 'submitting'],
      ['outcome', 'allow', 'ok'],
    ]);
    expect(r.rows[1]?.detail).toMatchObject({ runId: id, parameters: { dataset: 'orders', mode: 'append' } });
  });

  it('passes a string value byte for byte, as a workflow parameter only', async () => {
    const nasty = `<!channel> it's "done"; $(rm -rf /) \`id\` | tee /etc/x && echo $HOME > ~/.ssh/k =;, %s \\ 😀`;
    const quoted = `"${nasty.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    const r = await run(`task run echo message=${quoted}`, 'linus@example.com');
    expect(r.outcome).toBe('ok');
    expect(lastSubmission()?.submitOptions?.parameters).toEqual([`message=${nasty}`]);
    const raw = sims.argo.sim.requests.filter((q) => q.path.endsWith('/submit')).at(-1);
    expect(
      (raw?.body as { submitOptions?: { parameters?: string[] } } | undefined)?.submitOptions
        ?.parameters?.[0],
    ).toBe(`message=${nasty}`);
    // In the channel's announcement the value is shown, never acted on: no mention, no markup.
    const announcement = JSON.stringify(notifier.posted.at(-1)?.message);
    expect(announcement).toContain('&lt;!channel&gt;');
    expect(announcement).not.toContain('<!channel>');
  });

  it.each([
    [
      'task run backfill dataset=orders from=2026-13-01 to=2026-11-07',
      'from: must be a date such as 2026-11-01',
    ],
    [
      'task run backfill dataset=orders from=2026-11-01 to=2026-02-30',
      'to: must be a date such as 2026-11-01',
    ],
    ['task run backfill dataset=Orders;rm from=2026-11-01 to=2026-11-07', 'dataset: must be a dataset name'],
    [
      'task run backfill dataset=orders from=2026-11-01 to=2026-11-07 mode=upsert',
      'mode: must be one of append, overwrite',
    ],
    [
      'task run backfill dataset=orders from=2026-11-01 to=2026-11-07 colour=red',
      'colour: there is no such parameter',
    ],
    [
      'task run backfill dataset=orders from=2026-11-01 to=2026-11-07 ticket=nope',
      'ticket: "nope" is not a Jira issue key',
    ],
    [
      'task run backfill dataset=orders from=2026-11-01 to=2026-11-07 ticket=DP-999',
      'Jira issue DP-999 does not exist',
    ],
    [`task run echo message=${'x'.repeat(301)}`, 'message: is 301 characters long; at most 300'],
    ['task run echo message="{{workflow.name}}"', 'which Argo would read as an expression'],
  ])('refuses %s before submitting anything, says why, audits it', async (text, problem) => {
    const before = sims.argo.submissions.length;
    const r = await run(text, 'ada@example.com');
    expect(r.outcome).toBe('rejected');
    expect(r.text).toContain(problem);
    expect(sims.argo.submissions.length).toBe(before);
    expect(r.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'rejected' });
  });

  it('answers a task nobody has as unknown before authorizing, and audits it as invalid', async () => {
    const before = sims.argo.submissions.length;
    const r = await run('task run bakfill dataset=orders', 'ada@example.com');
    expect(r.outcome).toBe('invalid');
    expect(r.text).toContain('there is no task "bakfill"; did you mean "backfill"?');
    expect(sims.argo.submissions.length).toBe(before);
    expect(r.rows).toEqual([expect.objectContaining({ kind: 'attempt', outcome: 'unknown_resource' })]);
  });

  it('opens a form for missing parameters, and its submission runs the task', async () => {
    const views: ModalView[] = [];
    const before = sims.argo.submissions.length;
    const r = await run('task run backfill dataset=orders', 'linus@example.com', {
      openModal: async (view) => {
        views.push(view);
        return true;
      },
    });
    expect(r.outcome).toBe('ok');
    expect(sims.argo.submissions.length).toBe(before);
    expect(r.rows.map((x) => x.outcome ?? x.kind)).toEqual(['attempt', 'form_opened', 'ok']);
    const view = views[0];
    expect(view?.callback_id).toBe(COMMAND_MODAL);
    expect(JSON.parse(view?.private_metadata ?? '')).toEqual({ prefix: 'task run backfill', channel: 'C1' });
    const byBlock = Object.fromEntries(
      (view?.blocks ?? []).flatMap((b) => (b.type === 'input' ? [[b.block_id, b]] : [])),
    ) as Record<string, { element: Record<string, unknown>; optional?: boolean }>;
    expect(Object.keys(byBlock)).toEqual(['dataset', 'from', 'to', 'mode', 'ticket']);
    expect(byBlock.dataset?.element).toMatchObject({
      type: 'external_select',
      action_id: DATASET_OPTIONS_ACTION,
      initial_option: { value: 'orders' },
    });
    expect(byBlock.from?.element).toMatchObject({ type: 'datepicker', action_id: MODAL_INPUT });
    expect(byBlock.mode?.element).toMatchObject({
      type: 'static_select',
      initial_option: { value: 'append' },
    });
    expect(byBlock.ticket?.optional).toBe(true);

    // Slack sends the filled-in form back; it becomes command text and runs through the pipeline.
    const { text } = modalSubmissionToText({
      private_metadata: view?.private_metadata ?? '',
      state: {
        values: {
          dataset: {
            [DATASET_OPTIONS_ACTION]: { type: 'external_select', selected_option: { value: 'orders' } },
          },
          from: { [MODAL_INPUT]: { type: 'datepicker', selected_date: '2026-11-02' } },
          to: { [MODAL_INPUT]: { type: 'datepicker', selected_date: '2026-11-03' } },
          mode: { [MODAL_INPUT]: { type: 'static_select', selected_option: { value: 'overwrite' } } },
          ticket: { [MODAL_INPUT]: { type: 'plain_text_input', value: 'DP-2' } },
        },
      },
    });
    const submitted = await run(text, 'linus@example.com');
    expect(submitted.outcome).toBe('ok');
    expect(lastSubmission()?.submitOptions?.parameters).toEqual([
      'dataset=orders',
      'from=2026-11-02',
      'to=2026-11-03',
      'mode=overwrite',
    ]);
    expect((await runRow(runIdOf(submitted.text))).jira_key).toBe('DP-2');
  });

  it('in the console, says what is missing and how to pass it', async () => {
    const r = await run('task run backfill dataset=orders', 'linus@example.com');
    expect(r.outcome).toBe('rejected');
    expect(r.text).toContain(
      'backfill needs from, to: add from=&lt;date&gt; to=&lt;date&gt;, as in "task run backfill dataset=orders from=&lt;date&gt; to=&lt;date&gt;"',
    );
    expect(r.text).toContain(
      'Usage: task run backfill dataset=&lt;dataset&gt; from=&lt;date&gt; to=&lt;date&gt;',
    );
  });

  it('asks for confirmation when the task says so, and submits only once confirmed', async () => {
    const before = sims.argo.submissions.length;
    const asked = await run(
      'task run reprocess-partition dataset=orders partition=2026-11-14',
      'ada@example.com',
    );
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(asked.text).toBe(
      'Confirm: Run reprocess-partition: dataset=orders, partition=2026-11-14, priority=5, dry-run=false',
    );
    expect(sims.argo.submissions.length).toBe(before);
    const confirmed = await confirm(asked.reply, 'ada@example.com');
    expect(confirmed.outcome).toBe('ok');
    expect(lastSubmission()?.resourceName).toBe('reprocess-partition');
    const rows = await database.query(
      'SELECT kind, outcome FROM audit_log WHERE request_id = $1 ORDER BY id',
      [asked.requestId],
    );
    expect(rows.rows.map((x) => x.outcome ?? x.kind)).toEqual([
      'attempt',
      'confirmation_requested',
      'confirmed',
      'submitting',
      'ok',
    ]);
  });

  it("checks a task's own resource: team X's on-call may compact team X's tables only", async () => {
    const ok = await run('task run compact-table team=team-x table=events', 'grace@example.com');
    expect(ok.outcome).toBe('ok');
    expect(lastSubmission()).toMatchObject({
      resourceKind: 'ClusterWorkflowTemplate',
      resourceName: 'compact-table',
    });
    const before = sims.argo.submissions.length;
    const other = await run('task run compact-table team=team-y table=events', 'grace@example.com');
    expect(other.outcome).toBe('denied');
    expect(other.text).toContain('task compact-table also needs the tasks.run action on team:team-y');
    const linus = await run('task run compact-table team=team-x table=events', 'linus@example.com');
    expect(linus.outcome).toBe('denied');
    expect(linus.text).toContain('no grant gives tasks.run on task:compact-table');
    expect(sims.argo.submissions.length).toBe(before);
    expect(other.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'denied' });
    expect(linus.rows).toEqual([expect.objectContaining({ kind: 'attempt', decision: 'deny' })]);
  });

  it("asks the task's approvers first, and submits once one of them approves", async () => {
    const before = sims.argo.submissions.length;
    const asked = await run('task run drop-partition', 'ada@example.com');
    expect(asked.outcome).toBe('awaiting_approval');
    expect(sims.argo.submissions.length).toBe(before);
    const approve = async (email: string) => {
      const actions = asked.reply?.blocks?.find((b) => b.type === 'actions');
      const button = actions && 'elements' in actions ? actions.elements[0] : undefined;
      const responder = recordingResponder();
      const outcome = await app.pipeline.handleAction({
        entry: 'button',
        actionId: APPROVE_ACTION,
        value: button && 'value' in button ? String(button.value) : '',
        caller: { email },
        channel: 'C1',
        responder,
      });
      return { outcome, texts: responder.texts() };
    };
    expect((await approve('ada@example.com')).outcome).toBe('denied');
    expect((await approve('linus@example.com')).outcome).toBe('denied');
    expect(sims.argo.submissions.length).toBe(before);
    const approved = await approve('grace@example.com');
    expect(approved.outcome).toBe('ok');
    expect(lastSubmission()?.resourceName).toBe('slow');
    expect(lastSubmission()?.submitOptions?.labels).toContain('dpbot/requester=ada_at_example.com');
    const rows = await database.query(
      'SELECT outcome, email FROM audit_log WHERE request_id = $1 ORDER BY id',
      [asked.requestId],
    );
    expect(rows.rows.map((x) => x.outcome)).toEqual(
      expect.arrayContaining(['approval_requested', 'approval_given', 'submitting', 'ok']),
    );
  });

  it('reports Argo refusing or failing, records the run as not submitted, and audits the error', async () => {
    const forbidden = await run('task run ledger', 'ada@example.com');
    expect(forbidden.outcome).toBe('error');
    expect(forbidden.text).toContain(
      "Failed: Argo Workflows: dpbot's service account may not submit WorkflowTemplate backfill in namespace finance (403)",
    );
    const ghost = await run('task run ghost', 'ada@example.com');
    expect(ghost.text).toContain('not found (404): workflowtemplates.argoproj.io "ghost" not found');
    sims.argo.sim.inject({
      path: /\/submit$/,
      status: 401,
      body: { code: 16, message: 'token not valid' },
      times: 1,
    });
    const unauthorized = await run('task run echo message=hi', 'ada@example.com');
    expect(unauthorized.text).toContain("refused dpbot's token (401)");
    sims.argo.sim.inject({
      path: /\/submit$/,
      status: 500,
      body: { code: 13, message: 'etcd timeout' },
      times: 1,
    });
    const broken = await run('task run echo message=hi', 'ada@example.com');
    expect(broken.text).toContain('failed (500) when asked to submit WorkflowTemplate echo');
    for (const r of [forbidden, ghost, unauthorized, broken]) {
      expect(r.rows.map((x) => x.outcome ?? x.kind)).toEqual(['attempt', 'submitting', 'error']);
      const runId = (r.rows[1]?.detail as { runId?: number } | undefined)?.runId ?? 0;
      const row = await runRow(runId);
      expect(row.phase).toBe('SubmitFailed');
      expect(row.closed_at).not.toBeNull();
    }
  });
});

describe('task status, logs, cancel and runs', () => {
  async function started(text: string, email: string) {
    const r = await run(text, email);
    expect(r.outcome).toBe('ok');
    const id = runIdOf(r.text);
    const row = await runRow(id);
    return { id, workflow: String(row.workflow_name) };
  }

  it('shows phase, progress and steps fresh from Argo, and a Stop button only to those who may', async () => {
    const { id, workflow } = await started(
      'task run backfill dataset=team-x.events_history from=2026-11-01 to=2026-11-05',
      'linus@example.com',
    );
    sims.argo.advance(DEMO_NAMESPACE, workflow, 4);
    const status = await run(`task status ${id}`, 'linus@example.com');
    expect(status.text).toContain(`backfill #${id} — running 2/7`);
    expect(status.text).toContain('✓ validate succeeded');
    expect(status.text).toContain('▶ load-2026-11-02 running');
    const buttons = JSON.stringify(status.reply?.blocks);
    expect(buttons).toContain(`task cancel ${id}`);
    const nora = await run(`task status #${id}`, 'nora@example.com');
    expect(nora.outcome).toBe('ok');
    expect(JSON.stringify(nora.reply?.blocks)).not.toContain(`task cancel ${id}`);

    sims.argo.advance(DEMO_NAMESPACE, workflow, 5);
    const failed = await run(`task status ${workflow}`, 'grace@example.com');
    expect(failed.text).toContain(`backfill #${id} — failed at load-2026-11-03`);
    expect(failed.text).toContain(
      'Failing step: load-2026-11-03 — source partition dt=2026-11-03 is missing; restore it or skip the day',
    );
    expect((await runRow(id)).phase).toBe('Failed');

    sims.argo.sim.inject({
      path: /\/api\/v1\/workflows\//,
      status: 503,
      body: { message: 'unavailable' },
      times: 1,
    });
    const stale = await run(`task status ${id}`, 'linus@example.com');
    expect(stale.outcome).toBe('ok');
    expect(stale.text).toContain('Argo did not answer (Argo Workflows: failed (503)');
    expect(stale.text).toContain(`Ask again with "task status ${id}"`);
    const retry = JSON.stringify(stale.reply?.blocks);
    expect(retry).toContain(`"value":"task status ${id}"`);
    expect(retry).toContain(`"value":"task logs ${id}"`);
    const missing = await run('task status 99999', 'linus@example.com');
    expect(missing.outcome).toBe('not_found');
    expect(missing.text).toBe('Not done: there is no task run 99999; "task runs" lists recent ones');
  });

  it('shows the last log lines of the main container with a link to Argo, to those who may', async () => {
    const { id, workflow } = await started('task run echo message="hello from the pod"', 'linus@example.com');
    const empty = await run(`task logs ${id}`, 'linus@example.com');
    expect(empty.text).toContain('no lines yet');
    sims.argo.advance(DEMO_NAMESPACE, workflow, 3);
    const logs = await run(`task logs ${id} lines=5`, 'linus@example.com');
    expect(logs.outcome).toBe('ok');
    expect(logs.text).toContain('── say ──\nhello from the pod');
    expect(JSON.stringify(logs.reply?.blocks)).toContain(
      `https://argo.example.com/workflows/${DEMO_NAMESPACE}/${workflow}`,
    );
    expect(sims.argo.sim.requests.at(-1)?.query).toContain('logOptions.tailLines=5');
    const nora = await run(`task logs ${id}`, 'nora@example.com');
    expect(nora.outcome).toBe('denied');
    expect(nora.text).toContain(
      `only linus@example.com, who started echo #${id}, or someone who may run echo`,
    );
    expect(nora.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'denied' });
    const grace = await run(`task logs ${id}`, 'grace@example.com');
    expect(grace.outcome).toBe('ok');
  });

  it('tells a run whose workflow Argo deleted or removed by its TTL as gone, with what dpbot recorded and no button that cannot work', async () => {
    const done = await started('task run echo message=ttl', 'linus@example.com');
    sims.argo.advance(DEMO_NAMESPACE, done.workflow, 3);
    const before = await run(`task status ${done.id}`, 'linus@example.com');
    expect(before.text).toContain(`echo #${done.id} — succeeded`);
    expect(JSON.stringify(before.reply?.blocks)).toContain(`"value":"task logs ${done.id}"`);
    const startedAt = (await runRow(done.id)).started_at as Date;

    // The template keeps its workflows an hour after they end; an hour later, by Argo's clock.
    argoClockAhead += 3_601_000;
    const gone = await run(`task status ${done.id}`, 'linus@example.com');
    expect(gone.outcome).toBe('ok');
    const recorded = `Argo no longer has workflow ${done.workflow} (deleted or removed by its TTL); dpbot recorded: started by linus@example.com, at ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, last seen phase Succeeded (1/1).`;
    expect(gone.text).toContain(recorded);
    expect(gone.text).not.toContain('did not answer');
    const blocks = JSON.stringify(gone.reply?.blocks);
    expect(blocks).not.toContain(`task logs ${done.id}`);
    expect(blocks).not.toContain('argo.example.com');
    const logs = await run(`task logs ${done.id}`, 'linus@example.com');
    expect(logs.outcome).toBe('not_found');
    expect(logs.text).toContain(recorded);
    expect(logs.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'not_found' });

    // Deleted while it ran: the same, with the phase dpbot last saw.
    const deleted = await started('task run slow', 'ada@example.com');
    sims.argo.advance(DEMO_NAMESPACE, deleted.workflow, 2);
    await run(`task status ${deleted.id}`, 'ada@example.com');
    expect(sims.argo.delete(DEMO_NAMESPACE, deleted.workflow)).toBe(true);
    const told = await run(`task status ${deleted.id}`, 'ada@example.com');
    expect(told.text).toContain(
      `Argo no longer has workflow ${deleted.workflow} (deleted or removed by its TTL); dpbot recorded: started by ada@example.com`,
    );
    expect(told.text).toContain('last seen phase Running (0/1).');
    const buttons = JSON.stringify(told.reply?.blocks);
    expect(buttons).not.toContain(`task logs ${deleted.id}`);
    expect(buttons).not.toContain(`task cancel ${deleted.id}`);
  });

  it('stops or terminates a running workflow after confirmation, and refuses finished ones', async () => {
    const a = await started('task run slow', 'ada@example.com');
    sims.argo.advance(DEMO_NAMESPACE, a.workflow, 2);
    const stranger = await run(`task cancel ${a.id}`, 'linus@example.com');
    expect(stranger.outcome).toBe('denied');
    const asked = await run(`task cancel ${a.id}`, 'ada@example.com');
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(asked.text).toBe(`Confirm: Stop slow #${a.id} (Running 0/1 for 0s)`);
    expect(sims.argo.workflow(DEMO_NAMESPACE, a.workflow)?.spec?.shutdown).toBeUndefined();
    const done = await confirm(asked.reply, 'ada@example.com');
    expect(done.outcome).toBe('ok');
    expect(done.texts.at(-1)).toBe(
      `Ada Lovelace stopped slow #${a.id} (workflow ${a.workflow}, was Running 0/1).`,
    );
    expect(sims.argo.workflow(DEMO_NAMESPACE, a.workflow)?.spec?.shutdown).toBe('Stop');
    expect(await runRow(a.id)).toMatchObject({ cancelled_by: 'ada@example.com', cancel_mode: 'stop' });

    const b = await started('task run slow', 'ada@example.com');
    sims.argo.advance(DEMO_NAMESPACE, b.workflow, 2);
    const terminate = await run(`task cancel ${b.id} --terminate`, 'ada@example.com');
    expect(JSON.stringify(terminate.reply?.blocks)).toContain('exit handlers (clean-up) do not run');
    await confirm(terminate.reply, 'ada@example.com');
    expect(sims.argo.workflow(DEMO_NAMESPACE, b.workflow)?.status?.message).toBe(
      "Stopped with strategy 'Terminate'",
    );

    const again = await run(`task cancel ${b.id}`, 'ada@example.com');
    expect(again.outcome).toBe('conflict');
    expect(again.text).toContain(`slow #${b.id} already ended: Failed`);
    expect(again.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'conflict' });
  });

  it('lists recent runs by task and by who started them', async () => {
    // Runs of its own to list: two backfills by Linus, a compaction by Grace.
    await started('task run backfill dataset=orders from=2026-11-01 to=2026-11-02', 'linus@example.com');
    await started('task run backfill dataset=orders from=2026-11-03 to=2026-11-04', 'linus@example.com');
    await started('task run compact-table team=team-x table=events', 'grace@example.com');
    const mine = await run('task runs me', 'linus@example.com');
    expect(mine.text).toMatch(/^Task runs \(by linus@example.com\): \d+ most recent/);
    expect(mine.text).not.toContain('ada@example.com');
    const compact = await run('task runs compact-table', 'linus@example.com');
    expect(
      compact.text
        .split('\n')
        .slice(1)
        .every((l) => l.includes(' compact-table · ')),
    ).toBe(true);
    const both = await run('task runs backfill linus@example.com limit=2', 'ada@example.com');
    expect(both.text.split('\n')).toHaveLength(3);
    const bad = await run('task runs Weird!', 'ada@example.com');
    expect(bad.outcome).toBe('rejected');
    expect(bad.text).toContain('cannot tell what "Weird!" filters by');
  });
});
