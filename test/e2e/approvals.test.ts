import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { APPROVE_ACTION, CONFIRM_ACTION, DENY_ACTION } from '../../pipeline/views/common.ts';
import type { PostedMessage, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import { seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const LINUS = 'U0LINUS001';
const OPS = 'C0OPS00001';

let sim: SlackSimulator;
let kube: RunningKubernetes;
let fixture: Fixture;
let database: TestDatabase;
let proxy: TcpProxy;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  kube = await startKubernetes(seedClusters, { readyStep: 2 });
  fixture = createFixture({
    config: { ...workersConfig(kube.kubeconfigPath), slack: { apiUrl: sim.apiUrl } },
    policies: workersPolicies,
  });
  database = await createTestDatabase();
  // dpbot reaches its database through a proxy that can lose the answer to one statement.
  const proxied = await TcpProxy.forDatabase(database.url);
  proxy = proxied.proxy;
  bot = await startSlackBot(fixture, { ...database, url: proxied.url });
  slack = new FakeSlack(bot.server.url, sim);
}, 60_000);

afterAll(async () => {
  proxy.restore();
  await bot.stop({ drainMs: 0 });
  await proxy.stop();
  await kube.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

/**
 * Rows dpbot holds for the database, to be written when it answers: the lines of its outbox's
 * spool file beside the data (emptied once they are written).
 */
function held(): number {
  const spool = join(fixture.dir, '.dpbot', 'audit-outbox.jsonl');
  if (!existsSync(spool)) return 0;
  return readFileSync(spool, 'utf8')
    .split('\n')
    .filter((line) => line.trim()).length;
}

/** Outcome rows dpbot has recorded so far, by how: written, or not (held for later, or lost). */
async function outcomeWrites(): Promise<{ ok: number; failed: number }> {
  const metric = bot.app.services.metrics.registry.getSingleMetric('dpbot_audit_writes_total');
  const values = metric ? (await metric.get()).values : [];
  const count = (result: string) =>
    values
      .filter((v) => v.labels.kind === 'outcome' && v.labels.result === result)
      .reduce((n, v) => n + v.value, 0);
  return { ok: count('ok'), failed: count('failed') };
}

/** Waits until the request's outcome is recorded one way or the other; says which. */
async function outcomeRecorded(before: { ok: number; failed: number }): Promise<'written' | 'not written'> {
  return eventually(async () => {
    const now = await outcomeWrites();
    expect(now.ok + now.failed).toBe(before.ok + before.failed + 1);
    return now.ok > before.ok ? 'written' : 'not written';
  });
}

const replicas = () => kube.sim.replicas('Deployment', 'team-x', 'ingest-workers');

/** The audit rows of the request typed as `text`, as `kind:outcome-or-decision:email`. */
async function stepsOf(text: string): Promise<string[]> {
  const r = await database.query<{
    kind: string;
    outcome: string | null;
    decision: string | null;
    email: string;
  }>(
    `SELECT kind, outcome, decision, email FROM audit_log
     WHERE request_id IN (SELECT request_id FROM audit_log WHERE command_text = $1) ORDER BY id`,
    [text],
  );
  return r.rows.map((x) => `${x.kind}:${x.outcome ?? x.decision}:${x.email}`);
}

/** Everything dpbot said to a request's caller through its response_url. */
const said = (responseId: string) => JSON.stringify(slack.responses(responseId));

/** Every version of every message dpbot posted in a channel: where a scale announces itself. */
const announced = (channel: string) =>
  sim
    .messagesIn(channel)
    .flatMap((m) => m.history.map((h) => h.text))
    .join('\n');

/** The store's INSERT of rows of this command, of one kind, as node-pg sends it (values as arrays). */
const auditInsert = (text: string, kind: string) => (chunk: Buffer) =>
  chunk.includes('dpbot.audit.append') && chunk.includes(text) && chunk.includes(`{"${kind}"}`);

describe('an audit insert committed whose answer never came back', () => {
  it('a scale 4 → 6 whose `scaled` step lost its answer: one step, an ok outcome, and the caller told it is done', async () => {
    const text = 'scale team-x 6 --reason "lost step answer"';
    const before = await outcomeWrites();
    const lost = proxy.loseAnswerTo(auditInsert('lost step answer', 'step'));
    const r = await slack.slash(text, GRACE, OPS);
    await lost;
    expect(r.status).toBe(200);
    // Written, so nothing is left held to be written again later.
    expect(await outcomeRecorded(before)).toBe('written');
    expect(held()).toBe(0);
    expect(await stepsOf(text)).toEqual([
      'attempt:allow:grace@example.com',
      'step:scaled:grace@example.com',
      'outcome:ok:grace@example.com',
    ]);
    expect(replicas()).toBe(6);
    await eventually(() => expect(announced(OPS)).toContain('scaled team-x/workers 4 → 6'));
    expect(`${announced(OPS)}${said(r.responseId)}`).not.toMatch(/audit log|not run/i);
    expect(await bot.app.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('an outcome that lost its answer is not written a second time, and the caller is not told it failed', async () => {
    const text = 'scale team-x 5 --reason "lost outcome answer"';
    const before = await outcomeWrites();
    const lost = proxy.loseAnswerTo(auditInsert('lost outcome answer', 'outcome'));
    const r = await slack.slash(text, GRACE, OPS);
    await lost;
    // Written, so nothing is left held to be written again later.
    expect(await outcomeRecorded(before)).toBe('written');
    expect(held()).toBe(0);
    expect(await stepsOf(text)).toEqual([
      'attempt:allow:grace@example.com',
      'step:scaled:grace@example.com',
      'outcome:ok:grace@example.com',
    ]);
    await eventually(() => expect(announced(OPS)).toContain('scaled team-x/workers 6 → 5'));
    expect(`${announced(OPS)}${said(r.responseId)}`).not.toMatch(/audit log|not run/i);
  });

  it('…and when the database then stays away, the held outcome is written once it is back, not twice', async () => {
    const text = 'scale team-x 4 --reason "lost outcome, then away"';
    const before = await outcomeWrites();
    const lost = proxy.loseAnswerTo(auditInsert('lost outcome, then away', 'outcome'), { thenDown: true });
    try {
      const r = await slack.slash(text, GRACE, OPS);
      await lost;
      await eventually(() => expect(`${announced(OPS)}${said(r.responseId)}`).toContain('5 → 4'));
      expect(replicas()).toBe(4);
      // Held, on disk, while the database is away.
      expect(await outcomeRecorded(before)).toBe('not written');
      expect(held()).toBe(1);
    } finally {
      proxy.restore();
    }
    await eventually(() => expect(held()).toBe(0), 20_000);
    expect(await stepsOf(text)).toEqual([
      'attempt:allow:grace@example.com',
      'step:scaled:grace@example.com',
      'outcome:ok:grace@example.com',
    ]);
    // The pool's connections from before the outage fail once each before fresh ones replace them.
    await eventually(async () => expect(await bot.app.services.audit.verify()).toMatchObject({ ok: true }));
  });
});

/** Asks for a scale above team-x's approval threshold (18) as Ada; returns the posted request. */
async function askApproval(text: string): Promise<{ request: PostedMessage; pendingId: string }> {
  const asked = await slack.slash(text, ADA, OPS);
  expect(asked.status).toBe(200);
  const posted = () =>
    sim.messagesIn(OPS).find((x) => x.text.startsWith(`Ada Lovelace asks to run: ${text}`));
  // Scaling up past 12 workers, team-x asks its caller to confirm first.
  const question = await eventually(() => {
    const id = /"action_id":"dp\.confirm","value":"([0-9a-f-]{36})"/.exec(said(asked.responseId))?.[1];
    expect(id ?? posted()).toBeDefined();
    return id;
  });
  if (question) await slack.click({ user: ADA, actionId: CONFIRM_ACTION, value: question, ephemeral: true });
  const request = await eventually(() => {
    const m = posted();
    expect(m).toBeDefined();
    return m as PostedMessage;
  });
  const pendingId = /"action_id":"dp\.approve","value":"([0-9a-f-]{36})"/.exec(
    JSON.stringify(request.blocks),
  )?.[1];
  expect(pendingId).toBeDefined();
  return { request, pendingId: pendingId ?? '' };
}

describe('approvals', () => {
  it('four Approve clicks at once: the change runs once, one approval row, each later click recorded as what it was', async () => {
    const text = 'scale team-x 19 --reason "backfill lag"';
    const { request, pendingId } = await askApproval(text);
    expect(JSON.stringify(request.blocks)).toContain('Reason: backfill lag');
    const click = (user: string) =>
      slack.click({ user, actionId: APPROVE_ACTION, value: pendingId, messageTs: request.ts });
    const clicks = await Promise.all([click(GRACE), click(LINUS), click(GRACE), click(LINUS)]);
    await eventually(async () => expect((await stepsOf(text)).at(-1)).toBe('outcome:ok:ada@example.com'));
    expect(replicas()).toBe(19);
    const steps = await stepsOf(text);
    const votes = steps.filter((s) => /^step:approval_(given|already)/.test(s));
    expect(votes.filter((s) => s.startsWith('step:approval_given:'))).toHaveLength(1);
    // Every click is one row: the approval, and three that came too late (or repeated a vote).
    expect(votes).toHaveLength(4);
    for (const late of votes.filter((s) => !s.startsWith('step:approval_given:')))
      expect(late).toMatch(/^step:approval_already_(decided|given):/);
    expect(steps.filter((s) => s.startsWith('step:scaled:'))).toHaveLength(1);
    expect(steps.filter((s) => s.startsWith('step:approved:'))).toHaveLength(1);
    // Whoever came second is told who got there first.
    await eventually(() =>
      expect(
        clicks
          .map((c) => said(c.responseId))
          .filter((t) => /Already approved by|already approved this/.test(t)),
      ).toHaveLength(3),
    );
  });

  it('the decided request still says who asked for what; the requester is told; the result is in its thread; a later click is answered and audited once', async () => {
    const text = 'scale team-x 20 --reason "quarter close"';
    const { request, pendingId } = await askApproval(text);
    await slack.click({ user: GRACE, actionId: APPROVE_ACTION, value: pendingId, messageTs: request.ts });
    await eventually(async () => expect((await stepsOf(text)).at(-1)).toBe('outcome:ok:ada@example.com'));

    // The approval message, decided: who asked, the command, the reason, who approved it.
    const decided = await eventually(() => {
      const m = sim.messagesIn(OPS).find((x) => x.ts === request.ts);
      expect(m?.text).toContain('Approved by Grace Hopper (grace@example.com)');
      return m as PostedMessage;
    });
    const shown = JSON.stringify(decided.blocks);
    expect(shown).toContain(`<@${ADA}>`);
    expect(shown).toContain('scale team-x 20 --reason');
    expect(shown).toContain('Reason: quarter close');
    expect(shown).not.toContain(APPROVE_ACTION);

    // The requester hears of it in a direct message.
    await eventually(() =>
      expect(sim.messagesIn(`D${ADA}`).map((m) => m.text)).toContainEqual(
        expect.stringContaining(`Your request ${text} was approved by Grace Hopper`),
      ),
    );
    // The change's result is in the request's thread.
    await eventually(() =>
      expect(
        sim
          .messagesIn(OPS)
          .filter((m) => m.threadTs === request.ts)
          .map((m) => m.text)
          .join('\n'),
      ).toContain('19 → 20'),
    );

    // A second Approve, and a Deny: each answered with who decided, and audited once.
    const before = (await stepsOf(text)).length;
    const again = await slack.click({
      user: LINUS,
      actionId: APPROVE_ACTION,
      value: pendingId,
      messageTs: request.ts,
    });
    await eventually(() =>
      expect(said(again.responseId)).toMatch(
        /Already approved by Grace Hopper \(grace@example\.com\) at \d{4}-/,
      ),
    );
    const deny = await slack.click({
      user: LINUS,
      actionId: DENY_ACTION,
      value: pendingId,
      messageTs: request.ts,
    });
    await eventually(() => expect(said(deny.responseId)).toContain('Already approved by Grace Hopper'));
    expect((await stepsOf(text)).slice(before)).toEqual([
      'step:approval_already_decided:linus@example.com',
      'step:approval_already_decided:linus@example.com',
    ]);
    expect(replicas()).toBe(20);
  });

  it('a denied request says who asked for what and who denied it, and the requester is told', async () => {
    const text = 'scale team-x 19 --reason "not needed"';
    const { request, pendingId } = await askApproval(text);
    await slack.click({ user: LINUS, actionId: DENY_ACTION, value: pendingId, messageTs: request.ts });
    await eventually(() => {
      const m = sim.messagesIn(OPS).find((x) => x.ts === request.ts);
      expect(m?.text).toContain('Denied by Linus Torvalds (linus@example.com)');
      expect(JSON.stringify(m?.blocks)).toContain('Reason: not needed');
    });
    await eventually(() =>
      expect(sim.messagesIn(`D${ADA}`).map((m) => m.text)).toContainEqual(
        expect.stringContaining('was denied by Linus Torvalds'),
      ),
    );
    expect((await stepsOf(text)).at(-1)).toBe('outcome:denied:linus@example.com');
    expect(replicas()).toBe(20);
  });
});
