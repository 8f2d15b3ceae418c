import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { QUEUES } from '../../handlers/tasks/queues.ts';
import { sweepTaskRuns } from '../../handlers/tasks/watcher.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { adfToText } from '../support/adf.ts';
import { recordingResponder, startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type Posted, recordingNotifier } from '../support/notifier.ts';
import { startTaskSimulators, taskConfig, taskEnv, taskPolicies } from '../support/taskFixture.ts';

let sims: Awaited<ReturnType<typeof startTaskSimulators>>;
let fixture: Fixture;
let database: TestDatabase;
let app: App;
// One Slack for every replica: whichever process posts or edits, it lands here.
const notifier = recordingNotifier();

beforeAll(async () => {
  // Every read of a workflow moves it one tick on, so the watcher's polls drive it to its end.
  sims = await startTaskSimulators({ autoAdvance: true });
  // Each poll moves a workflow on: polling more often than the fixture's default ends runs sooner.
  fixture = createFixture({
    config: taskConfig(sims.argo.url, sims.jira.url, { pollInterval: '150ms' }),
    policies: taskPolicies,
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { env: taskEnv, notifier, runWorkers: true });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  await sims.stop();
  fixture.remove();
});

async function start(text: string, email: string, on: App = app) {
  const responder = recordingResponder();
  const outcome = await on.pipeline.handleText({
    entry: 'console',
    text,
    caller: { email },
    channel: 'C1',
    responder,
  });
  const reply = responder.sent[0]?.message;
  if (outcome === 'awaiting_confirmation') {
    const actions = reply?.blocks?.find((b) => b.type === 'actions');
    const button = actions && 'elements' in actions ? actions.elements[0] : undefined;
    const confirmed = recordingResponder();
    await on.pipeline.handleAction({
      entry: 'button',
      actionId: CONFIRM_ACTION,
      value: button && 'value' in button ? String(button.value) : '',
      caller: { email },
      channel: 'C1',
      responder: confirmed,
    });
    return confirmed.texts().join('\n');
  }
  expect(outcome).toBe('ok');
  return reply?.text ?? '';
}

async function runOf(text: string) {
  const id = Number(/#(\d+)/.exec(text)?.[1]);
  const row = (await database.query('SELECT * FROM task_runs WHERE id = $1', [id])).rows[0] as Record<
    string,
    string
  >;
  const announcement = notifier.posted.find((p) => p.ref.ts === row.message_ts && !p.threadTs) as Posted;
  return { id, row, announcement };
}

/** A run recorded ten minutes ago and left open, with no workflow name: what a stopped process leaves. */
async function leftRun() {
  const run = await app.services.taskRuns.create({
    task: 'backfill',
    params: { dataset: 'orders', from: '2026-11-01', to: '2026-11-02', mode: 'append' },
    templateKind: 'WorkflowTemplate',
    templateName: 'backfill',
    namespace: 'data-jobs',
    requestId: crypto.randomUUID(),
    requesterEmail: 'linus@example.com',
    requesterSlackId: 'U0LINUS001',
    channel: 'C1',
    jiraKey: null,
  });
  await database.query("UPDATE task_runs SET created_at = now() - interval '10 minutes' WHERE id = $1", [
    run.id,
  ]);
  return run;
}

const current = (p: Posted) => p.updates.at(-1) ?? p.message;
const threadReplies = (p: Posted) => notifier.posted.filter((x) => x.threadTs === p.ref.ts);
const events = async (id: number) =>
  (
    await database.query(
      "SELECT outcome, entry, email, error, detail FROM audit_log WHERE kind = 'event' AND (detail->>'runId')::int = $1 ORDER BY id",
      [id],
    )
  ).rows;

// Each test follows its own run, so they run side by side.
describe.concurrent('progress of a task run', () => {
  it('edits one message from start to success, replies in its thread once, audits, and comments on Jira', async () => {
    const { id, announcement } = await runOf(
      await start(
        'task run backfill dataset=orders from=2026-11-01 to=2026-11-02 ticket=DP-1',
        'linus@example.com',
      ),
    );
    await eventually(
      () => expect(current(announcement).text).toContain(`backfill #${id} — succeeded in`),
      25_000,
    );
    const seen = announcement.updates.map((u) => u.text.split('\n')[0]);
    expect(seen.some((line) => line?.includes('running'))).toBe(true);
    expect(current(announcement).text).toContain('(4/4)');
    expect(JSON.stringify(current(announcement).blocks)).toContain(
      'https://argo.example.com/workflows/data-jobs/',
    );
    expect(threadReplies(announcement).map((r) => r.message.text)).toEqual([
      expect.stringMatching(new RegExp(`^<@U0LINUS001>: ✅ backfill #${id} succeeded in`)),
    ]);

    await eventually(async () =>
      expect((await events(id)).map((e) => e.outcome)).toEqual(['workflow_succeeded', 'jira_commented']),
    );
    const [finished] = await events(id);
    expect(finished).toMatchObject({
      entry: 'system',
      email: 'linus@example.com',
      detail: { phase: 'Succeeded', progress: '4/4' },
    });
    const comment = sims.jira.issue('DP-1')?.comments.at(-1);
    const body = adfToText(comment?.body ?? {});
    expect(body).toContain(`✅ backfill #${id} succeeded in`);
    expect(body).toContain('dataset = orders');
    expect(body).toContain('from = 2026-11-01');
    expect(body).toContain('Requested by linus@example.com');
    expect(JSON.stringify(comment?.body)).toContain('"href":"https://argo.example.com/workflows/data-jobs/');
  });

  it('ends a failed run with the failing step and its message', async () => {
    const { id, announcement } = await runOf(
      await start(
        'task run backfill dataset=team-x.events_history from=2026-11-01 to=2026-11-04',
        'linus@example.com',
      ),
    );
    await eventually(
      () => expect(current(announcement).text).toContain(`backfill #${id} — failed at load-2026-11-03`),
      25_000,
    );
    expect(current(announcement).text).toContain(
      'Failing step: load-2026-11-03 — source partition dt=2026-11-03 is missing; restore it or skip the day',
    );
    await eventually(async () =>
      expect((await events(id)).map((e) => [e.outcome, e.detail.failedStep])).toEqual([
        ['workflow_failed', 'load-2026-11-03'],
        ['jira_commented', undefined],
      ]),
    );
    // backfill opens its own ticket; the comment says how it ended.
    const { row } = await runOf(`#${id}`);
    expect(adfToText(sims.jira.issue(row.jira_key ?? '')?.comments.at(-1)?.body ?? {})).toContain(
      'Failing step: load-2026-11-03 — source partition dt=2026-11-03 is missing',
    );
  });

  it('does not edit the message while nothing changes, and shows who stopped the run', async () => {
    const { id, row, announcement } = await runOf(await start('task run slow', 'ada@example.com'));
    await eventually(() => expect(current(announcement).text).toContain(`slow #${id} — running 0/1`), 15_000);
    const edits = announcement.updates.length;
    const reads = () =>
      sims.argo.sim.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${row.workflow_name}`))
        .length;
    const before = reads();
    await eventually(() => expect(reads()).toBeGreaterThanOrEqual(before + 3), 15_000);
    expect(announcement.updates.length).toBe(edits);

    await start(`task cancel ${id}`, 'ada@example.com');
    await eventually(
      () => expect(current(announcement).text).toContain(`slow #${id} — stopped by ada@example.com`),
      15_000,
    );
    await eventually(async () =>
      expect((await events(id)).map((e) => e.outcome)).toEqual(['workflow_stopped']),
    );
  });

  it('ends a run whose workflow Argo deleted with what dpbot last saw, not as an error of the run', async () => {
    const { id, row, announcement } = await runOf(await start('task run slow', 'ada@example.com'));
    await eventually(() => expect(current(announcement).text).toContain(`slow #${id} — running 0/1`), 15_000);
    expect(sims.argo.delete('data-jobs', row.workflow_name ?? '')).toBe(true);
    await eventually(async () =>
      expect((await events(id)).map((e) => e.outcome)).toEqual(['workflow_missing']),
    );
    const [missing] = await events(id);
    expect(missing).toMatchObject({ entry: 'system', detail: { phase: 'Running', progress: '0/1' } });
    const shown = JSON.stringify(current(announcement).blocks);
    expect(shown).toContain(
      `Argo no longer has workflow ${row.workflow_name} (deleted or removed by its TTL); dpbot recorded: started by ada@example.com`,
    );
    expect(shown).toContain('last seen phase Running (0/1)');
    const kept = (await database.query('SELECT phase, closed_at FROM task_runs WHERE id = $1', [id])).rows[0];
    expect(kept?.phase).toBe('Running');
    expect(kept?.closed_at).not.toBeNull();
  });

  it('retries a rate-limited Jira comment after Retry-After', async () => {
    sims.jira.sim.inject({
      method: 'POST',
      path: /\/DP-3\/comment$/,
      status: 429,
      headers: { 'retry-after': '1' },
      times: 1,
    });
    const { id } = await runOf(await start('task run echo message=hi ticket=DP-3', 'linus@example.com'));
    await eventually(
      async () => expect((await events(id)).map((e) => e.outcome)).toContain('jira_commented'),
      25_000,
    );
    const posts = sims.jira.sim.requests.filter(
      (r) => r.method === 'POST' && r.path === '/rest/api/3/issue/DP-3/comment',
    );
    expect(posts).toHaveLength(2);
    expect(sims.jira.issue('DP-3')?.comments).toHaveLength(1);
  });

  it('records a Jira comment that cannot be made, and says so in the thread', async () => {
    sims.jira.sim.inject({
      method: 'POST',
      path: /\/DP-2\/comment$/,
      status: 403,
      body: { errorMessages: ['No permission'] },
      times: 1,
    });
    const { id, announcement } = await runOf(
      await start('task run echo message=hi ticket=DP-2', 'linus@example.com'),
    );
    await eventually(
      async () => expect((await events(id)).map((e) => e.outcome)).toContain('jira_comment_failed'),
      25_000,
    );
    const failed = (await events(id)).find((e) => e.outcome === 'jira_comment_failed');
    expect(failed?.error).toContain("dpbot's account may not comment on DP-2 (403): No permission");
    await eventually(() =>
      expect(threadReplies(announcement).map((r) => r.message.text)).toContain(
        `Could not comment on DP-2 about #${id}: ${failed?.error}`,
      ),
    );
  });
});

describe('the watcher across restarts and replicas', () => {
  it('keeps following a run after the process that started it is gone, and ends it once with two replicas', async () => {
    const first = await startTestApp(fixture, database, { env: taskEnv, notifier, runWorkers: true });
    const { id, announcement } = await runOf(
      await start(
        'task run backfill dataset=orders from=2026-11-01 to=2026-11-03',
        'linus@example.com',
        first,
      ),
    );
    await first.close();
    const replicas = await Promise.all([
      startTestApp(fixture, database, { env: taskEnv, notifier, runWorkers: true }),
      startTestApp(fixture, database, { env: taskEnv, notifier, runWorkers: true }),
    ]);
    try {
      await eventually(
        () => expect(current(announcement).text).toContain(`backfill #${id} — succeeded`),
        25_000,
      );
      await eventually(async () =>
        expect((await events(id)).map((e) => e.outcome)).toEqual(['workflow_succeeded', 'jira_commented']),
      );
      // A stray duplicate would come from a watcher look or a Jira comment still queued or running
      // for the run (a job completes after what it posts): count once neither queue holds one.
      await eventually(async () => {
        for (const queue of [QUEUES.watch, QUEUES.jira])
          expect([queue, await replicas[0].services.jobs.live(queue, { runId: id })]).toEqual([queue, 0]);
      });
      expect(threadReplies(announcement)).toHaveLength(1);
      expect((await events(id)).map((e) => e.outcome)).toEqual(['workflow_succeeded', 'jira_commented']);
      const { row } = await runOf(`#${id}`);
      expect(sims.jira.issue(row.jira_key ?? '')?.comments).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it('settles runs left mid-submission: follows the workflow Argo did create, closes the one it did not', async () => {
    // As a process that stopped between recording "submitting" and hearing back from Argo leaves
    // them: no workflow name, not closed, and older than any answer could take.
    const left = leftRun;
    const created = await left();
    const lost = await left();
    const argo = app.services.argo;
    if (!argo) throw new Error('the test configuration sets argo.url');
    // The submission that did reach Argo, with the labels dpbot gives every workflow.
    const workflow = await argo.submit({
      namespace: 'data-jobs',
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: created.params,
      labels: { 'dpbot/run': String(created.id), 'dpbot/request-id': created.requestId },
    });
    const submissions = () => sims.argo.sim.requests.filter((r) => r.path.endsWith('/submit')).length;
    const submittedBefore = submissions();

    const replica = await startTestApp(fixture, database, { env: taskEnv, notifier, runWorkers: true });
    try {
      await eventually(
        async () =>
          expect((await events(created.id)).map((e) => e.outcome)).toEqual([
            'submit_found',
            'workflow_succeeded',
          ]),
        25_000,
      );
      const { row } = await runOf(`#${created.id}`);
      expect(row).toMatchObject({ workflow_name: workflow.metadata.name, phase: 'Succeeded' });

      await eventually(async () =>
        expect((await events(lost.id)).map((e) => e.outcome)).toEqual(['submit_lost']),
      );
      const { row: lostRow } = await runOf(`#${lost.id}`);
      expect(lostRow).toMatchObject({ workflow_name: null, phase: 'SubmitFailed' });
      expect(lostRow.message).toContain(`Argo has no workflow labelled dpbot/run=${lost.id}`);
      expect(lostRow.closed_at).not.toBeNull();
      // The requester hears about both ends, since neither run had an announcement.
      await eventually(() =>
        expect(
          notifier.directs.filter((d) => d.email === 'linus@example.com').map((d) => d.message.text),
        ).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`backfill #${created.id}`),
            expect.stringContaining(`backfill #${lost.id}`),
          ]),
        ),
      );
      // Nothing was submitted again.
      expect(submissions()).toBe(submittedBefore);
    } finally {
      await replica.close();
    }
  });
});

describe('the sweep', () => {
  it('gives an open run left without a watcher one, once, and the run is followed to its end without a restart', async () => {
    // As a process that died between recording the run and queueing its first look leaves it.
    const run = await leftRun();
    const argo = app.services.argo;
    if (!argo) throw new Error('the test configuration sets argo.url');
    await argo.submit({
      namespace: 'data-jobs',
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: run.params,
      labels: { 'dpbot/run': String(run.id), 'dpbot/request-id': run.requestId },
    });
    expect(await sweepTaskRuns(app.services)).toEqual([run.id]);
    // Its watcher now exists (waiting, running, or its successor): a second sweep leaves it alone.
    expect(await sweepTaskRuns(app.services)).toEqual([]);
    await eventually(
      async () =>
        expect((await events(run.id)).map((e) => e.outcome)).toEqual([
          'watch_resumed',
          'submit_found',
          'workflow_succeeded',
        ]),
      25_000,
    );
  });
});

describe('audit rows of run events', () => {
  it('holds the row of a run end when the audit log refuses it at first, and writes it late, once', async () => {
    // The database itself refuses the first workflow_succeeded row (a sequence is not rolled
    // back with the failed insert, so only that first attempt fails).
    await database.query('CREATE SEQUENCE audit_refusals');
    await database.query(`
      CREATE FUNCTION refuse_first_success() RETURNS trigger AS $$
      BEGIN
        IF NEW.outcome = 'workflow_succeeded' THEN
          IF nextval('audit_refusals') = 1 THEN
            RAISE EXCEPTION 'audit log unavailable (injected by the test)';
          END IF;
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await database.query(
      'CREATE TRIGGER refuse_first_success BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_first_success()',
    );
    try {
      const { id, announcement } = await runOf(
        await start('task run echo message=audit', 'linus@example.com'),
      );
      await eventually(
        () => expect(current(announcement).text).toContain(`echo #${id} — succeeded in`),
        25_000,
      );
      await eventually(async () => {
        const rows = await events(id);
        expect(rows.map((e) => e.outcome)).toEqual(['workflow_succeeded']);
        expect(rows[0]).toMatchObject({
          entry: 'system',
          email: 'linus@example.com',
          detail: {
            runId: id,
            task: 'echo',
            phase: 'Succeeded',
            // Held by the audit outbox, not the job queue (which is in the same database).
            recordedLate: { key: expect.any(String), happenedAt: expect.any(String) },
          },
        });
      }, 15_000);
      const tries = await database.query('SELECT last_value FROM audit_refusals');
      expect(Number(tries.rows[0]?.last_value)).toBeGreaterThanOrEqual(2);
    } finally {
      await database.query('DROP TRIGGER refuse_first_success ON audit_log');
      await database.query('DROP FUNCTION refuse_first_success()');
      await database.query('DROP SEQUENCE audit_refusals');
    }
  });
});
