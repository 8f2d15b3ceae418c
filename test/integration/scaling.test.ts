import type { ModalView } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { APPROVE_ACTION, CANCEL_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { MODAL_INPUT, modalSubmissionToText } from '../../pipeline/views/modal.ts';
import { setField } from '../../sandbox/kubernetes/objectFields.ts';
import { recordingResponder, startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { recordingNotifier } from '../support/notifier.ts';
import { runAs, seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

const ADA = 'ada@example.com'; // data-platform: may do everything
const GRACE = 'grace@example.com'; // team-x on-call: workers.scale on team:team-x, maxReplicas 10
const LINUS = 'linus@example.com'; // engineering: workers.read on team:*

let kube: RunningKubernetes;
let fixture: Fixture;
let database: TestDatabase;
let app: App;
const notifier = recordingNotifier();

beforeAll(async () => {
  kube = await startKubernetes(seedClusters, { readyStep: 2 });
  fixture = createFixture({ config: workersConfig(kube.kubeconfigPath), policies: workersPolicies });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { runWorkers: true, notifier });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  await kube.stop();
  fixture.remove();
});

const run = (text: string, email: string) => runAs(app, database, text, email);
const replicas = (kind: string, ns: string, name: string) => kube.sim.replicas(kind, ns, name);
/**
 * Sets a workload's count as another client would: how a case starts from the count it expects
 * whether or not the cases before it ran.
 */
const setReplicas = (kind: string, ns: string, name: string, count: number) =>
  kube.sim.update(kind, ns, name, (o) => {
    (o.spec as { replicas: number }).replicas = count;
  });

function pendingIdOf(sent: ReturnType<typeof recordingResponder>['sent']): string {
  const actions = sent[0]?.message.blocks?.find((b) => b.type === 'actions');
  const button = actions && 'elements' in actions ? actions.elements[0] : undefined;
  return button && 'value' in button ? String(button.value) : '';
}

async function click(actionId: string, value: string, email: string) {
  const responder = recordingResponder({ channel: 'C-ONCALL' });
  const outcome = await app.pipeline.handleAction({
    entry: 'button',
    actionId,
    value,
    caller: { email },
    channel: 'C-ONCALL',
    responder,
  });
  return { outcome, responder };
}

describe('scale', () => {
  it('scales, announces who/what/why in the channel, then updates the announcement as pods become ready', async () => {
    const r = await run('scale team-x 8 --reason "backfill lag"', GRACE);
    expect(r.outcome).toBe('ok');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(8);
    const message = r.responder.sent[0]?.message;
    expect(message?.visibility).toBe('in_channel');
    expect(r.text).toContain('<@U0GRACE001> scaled team-x/workers 4 → 8');
    expect(r.text).toContain('Why: backfill lag');
    expect(r.text).toContain('Deployment team-x/ingest-workers on cluster sandbox');
    expect(r.text).toContain('4/8 ready');
    expect(JSON.stringify(message?.blocks)).toContain('<@U0GRACE001> scaled team-x/workers 4 → 8');
    expect(r.rows.map((row) => [row.kind, row.decision, row.outcome])).toEqual([
      ['attempt', 'allow', null],
      ['step', null, 'scaled'],
      ['outcome', 'allow', 'ok'],
    ]);
    expect(r.rows[1]).toMatchObject({
      action: 'workers.scale',
      resource: 'team:team-x',
      email: GRACE,
      detail: { team: 'team-x', target: 'workers', from: 4, to: 8, reason: 'backfill lag', conflicts: 0 },
    });

    const ref = r.ref;
    if (!ref) throw new Error('the announcement has no ref');
    kube.sim.tick();
    await eventually(() => expect(notifier.history(ref).at(-1)).toContain('6/8 ready'));
    kube.sim.tick();
    await eventually(() => expect(notifier.history(ref).at(-1)).toContain('8/8 ready'));
    expect(notifier.history(ref).at(-1)).toContain('Why: backfill lag');
    // Updates are coalesced: one per change of what the message says.
    expect(notifier.history(ref).filter((t) => t.includes('6/8 ready'))).toHaveLength(1);
  });

  it('tells a scale-down as pods going away, then as done', async () => {
    // From where the test above left it: 8 wanted, 8 ready.
    const r = await run('scale team-x 4 --reason "backlog cleared"', GRACE);
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain('4 of 8 pods still stopping (down to 4)');
    expect(r.text).not.toContain('/4 ready');
    const ref = r.ref;
    if (!ref) throw new Error('the announcement has no ref');
    kube.sim.tick();
    await eventually(() => expect(notifier.history(ref).at(-1)).toContain('Scaled down to 4: all 4 ready'));
  });

  it('keeps within the team bounds, the approval threshold and the grant limit; each refusal is audited', async () => {
    setReplicas('Deployment', 'team-x', 'ingest-workers', 8);
    const above = await run('scale team-x 25', ADA);
    expect(above.outcome).toBe('rejected');
    expect(above.text).toContain('team-x may have 1 to 20 workers; 25 is above the maximum');
    expect(above.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'rejected' });

    const below = await run('scale team-x 0', ADA);
    expect(below.outcome).toBe('rejected');
    expect(below.text).toContain('0 is below the minimum');

    // Above the approval threshold the request waits for another person; it runs once approved.
    // 19 is also above confirmAbove: the requester confirms first, then it waits for approval.
    const approval = await run('scale team-x 19 --reason "quarter close"', ADA);
    expect(approval.outcome).toBe('awaiting_confirmation');
    const confirmed = await click(CONFIRM_ACTION, pendingIdOf(approval.responder.sent), ADA);
    expect(confirmed.outcome).toBe('awaiting_approval');
    expect(confirmed.responder.texts()[0]).toContain('asks to run: scale team-x 19');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(8);
    const id = pendingIdOf(confirmed.responder.sent);
    expect((await click(APPROVE_ACTION, id, ADA)).outcome).toBe('denied');
    const approved = await click(APPROVE_ACTION, id, LINUS);
    expect(approved.outcome).toBe('ok');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(19);
    const steps = await database.query(
      'SELECT kind, outcome, email FROM audit_log WHERE request_id = $1 ORDER BY id',
      [approval.requestId],
    );
    expect(steps.rows.map((r) => `${r.kind}:${r.outcome ?? ''}:${r.email}`)).toEqual([
      `attempt::${ADA}`,
      `step:confirmation_requested:${ADA}`,
      `step:confirmed:${ADA}`,
      `step:approval_requested:${ADA}`,
      `step:approval_refused:${ADA}`,
      `step:approval_given:${LINUS}`,
      `step:approved:${ADA}`,
      `step:scaled:${ADA}`,
      `outcome:ok:${ADA}`,
    ]);
    // Back to 8, as another client would, for the refusals below.
    setReplicas('Deployment', 'team-x', 'ingest-workers', 8);

    const limit = await run('scale team-x 11', GRACE);
    expect(limit.outcome).toBe('denied');
    expect(limit.text).toContain('limit exceeded: maxReplicas is 10 and this asks for 11');
    expect(limit.rows).toEqual([expect.objectContaining({ kind: 'attempt', decision: 'deny' })]);

    const stranger = await run('scale team-x 5', LINUS);
    expect(stranger.outcome).toBe('denied');
    expect(stranger.text).toContain('scale needs the workers.scale action on team:team-x');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(8);
  });

  it('asks first above confirmAbove, and runs only once confirmed', async () => {
    setReplicas('Deployment', 'team-x', 'ingest-workers', 8);
    const asked = await run('scale team-x 13 --reason "catch up"', ADA);
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(asked.text).toBe('Confirm: Scale team-x/workers 8 → 13');
    expect(JSON.stringify(asked.responder.sent[0]?.message.blocks)).toContain(
      'Asked first because 13 is more than 12 workers, the level at which team-x asks for a confirmation.',
    );
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(8);
    const confirmed = await click(CONFIRM_ACTION, pendingIdOf(asked.responder.sent), ADA);
    expect(confirmed.outcome).toBe('ok');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(13);
    const rows = await database.query(
      'SELECT kind, outcome FROM audit_log WHERE request_id = $1 ORDER BY id',
      [asked.requestId],
    );
    expect(rows.rows).toEqual([
      { kind: 'attempt', outcome: null },
      { kind: 'step', outcome: 'confirmation_requested' },
      { kind: 'step', outcome: 'confirmed' },
      { kind: 'step', outcome: 'scaled' },
      { kind: 'outcome', outcome: 'ok' },
    ]);
  });

  it('asks first for a change of more than 2×, and a cancel changes nothing', async () => {
    setReplicas('Deployment', 'team-x', 'ingest-workers', 13);
    const asked = await run('scale team-x 3', ADA);
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(JSON.stringify(asked.responder.sent[0]?.message.blocks)).toContain(
      'Asked first because it cuts to less than half the count (13 → 3).',
    );
    const cancelled = await click(CANCEL_ACTION, pendingIdOf(asked.responder.sent), ADA);
    expect(cancelled.outcome).toBe('cancelled');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(13);

    const doubling = await run('scale team-q 5', ADA);
    expect(doubling.outcome).toBe('awaiting_confirmation');
    expect(JSON.stringify(doubling.responder.sent[0]?.message.blocks)).toContain(
      'Asked first because it more than doubles the count (2 → 5).',
    );
  });

  it('asks first when scaling to 0', async () => {
    const asked = await run('scale team-q 0', ADA);
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(JSON.stringify(asked.responder.sent[0]?.message.blocks)).toContain(
      'Asked first because it scales team-q/workers to 0: every worker stops.',
    );
    const confirmed = await click(CONFIRM_ACTION, pendingIdOf(asked.responder.sent), ADA);
    expect(confirmed.outcome).toBe('ok');
    expect(replicas('Deployment', 'team-q', 'scorer')).toBe(0);
    expect(confirmed.responder.texts().join('\n')).toContain('2 still stopping');
  });

  it('retries after a 409 when another writer changes the count between its read and its write', async () => {
    // Within 2× of 10 either way, so that it runs without asking.
    setReplicas('Deployment', 'team-x', 'ingest-workers', 13);
    kube.sim.changeAfterNextRead(
      'Deployment',
      'team-x',
      'ingest-workers',
      (o) => {
        (o.spec as { replicas: number }).replicas = 12;
      },
      'scale',
    );
    const r = await run('scale team-x 10', ADA);
    expect(r.outcome).toBe('ok');
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(10);
    expect(r.text).toContain('scaled team-x/workers 12 → 10');
    expect(r.text).toContain(
      'The count changed while dpbot was writing (1 conflict(s)); dpbot read it again and replaced 12.',
    );
    expect(r.rows.find((row) => row.outcome === 'scaled')?.detail).toMatchObject({
      from: 12,
      to: 10,
      conflicts: 1,
    });
  });

  it('serializes two scales of one team: no lost update, both audited, the second told what it replaced', async () => {
    // Within 2× of both 6 and 9, so that neither asks for confirmation.
    setReplicas('Deployment', 'team-x', 'ingest-workers', 10);
    // The first write to reach the cluster is slow; without the team lock the other would read the
    // old count and hit a 409 instead of waiting.
    kube.sim.server.inject({ method: 'PUT', path: /ingest-workers\/scale$/, delayMs: 400, times: 1 });
    const [a, b] = await Promise.all([
      run('scale team-x 6 --reason "first"', GRACE),
      run('scale team-x 9 --reason "second"', ADA),
    ]);
    expect([a.outcome, b.outcome]).toEqual(['ok', 'ok']);
    const steps = await database.query<{
      email: string;
      detail: { from: number; to: number; conflicts: number; reason: string };
    }>("SELECT email, detail FROM audit_log WHERE request_id = ANY($1) AND outcome = 'scaled' ORDER BY id", [
      [a.requestId, b.requestId],
    ]);
    const [first, second] = steps.rows;
    if (!first || !second) throw new Error('expected two audited changes');
    expect(second.detail.from).toBe(first.detail.to);
    expect(second.detail.conflicts).toBe(0);
    expect(replicas('Deployment', 'team-x', 'ingest-workers')).toBe(second.detail.to);
    const later = second.email === GRACE ? a : b;
    const firstBy = first.email === GRACE ? 'U0GRACE001' : 'U0ADA00001';
    expect(later.text).toContain(`Replaces ${first.detail.to}, set by <@${firstBy}>`);
    expect(later.text).toContain(`("${first.detail.reason}")`);
  });

  it('refuses where an HPA manages the workload and offers --hpa-min, which raises its minimum', async () => {
    const refused = await run('scale team-y 8', ADA);
    expect(refused.outcome).toBe('conflict');
    expect(refused.text).toContain(
      'team-y/loader is managed by the HorizontalPodAutoscaler "loader" (min 2, max 10, now 3)',
    );
    expect(refused.text).toContain("raise the HPA's minimum instead: scale team-y 8 --hpa-min");
    expect(refused.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'conflict' });
    expect(replicas('StatefulSet', 'team-y', 'loader')).toBe(3);

    const tooHigh = await run('scale team-y 11 --hpa-min', ADA);
    expect(tooHigh.outcome).toBe('rejected');
    expect(tooHigh.text).toContain('the HPA "loader" allows at most 10 replicas');

    const raised = await run('scale team-y 4 --hpa-min --reason "month end"', ADA);
    expect(raised.outcome).toBe('ok');
    expect(raised.text).toContain('set the HPA minimum of team-y/loader 2 → 4');
    expect(raised.text).toContain('3/4 ready (the HPA keeps at least 4)');
    expect(kube.sim.get('HorizontalPodAutoscaler', 'team-y', 'loader')?.spec).toMatchObject({
      minReplicas: 4,
    });
    kube.sim.tickControllers();
    expect(replicas('StatefulSet', 'team-y', 'loader')).toBe(4);

    const toZero = await run('scale team-y 0', ADA);
    expect(toZero.outcome).toBe('awaiting_confirmation');
    expect(JSON.stringify(toZero.responder.sent[0]?.message.blocks)).toContain(
      'The HPA \\"loader\\" stays idle',
    );
  });

  it('refuses where Argo CD self-heals the workload without ignoring /spec/replicas, and allows it where it does', async () => {
    // Stopped, so that scaling it to 2 is a change.
    setReplicas('Deployment', 'team-q', 'scorer', 0);
    const refused = await run('scale team-z 6', ADA);
    expect(refused.outcome).toBe('conflict');
    expect(refused.text).toContain(
      'team-z/workers is managed by the Argo CD application "team-z", which self-heals and does not ignore /spec/replicas',
    );
    expect(refused.text).toContain('RespectIgnoreDifferences=true');
    expect(refused.rows.at(-1)).toMatchObject({ outcome: 'conflict' });
    expect(replicas('Deployment', 'team-z', 'enricher')).toBe(3);

    const allowed = await run('scale team-q 2', ADA);
    expect(allowed.outcome).toBe('ok');
    expect(replicas('Deployment', 'team-q', 'scorer')).toBe(2);
  });

  it('reads automated: { enabled: false } as no self-heal, as Argo CD does, and scales', async () => {
    // As another client would change them in place (setField returns a changed copy).
    const automated = (enabled: boolean) => (app: Record<string, unknown>) => {
      Object.assign(
        app,
        setField(app, 'spec.syncPolicy.automated', { enabled, prune: true, selfHeal: true }),
      );
    };
    kube.sim.update('Application', 'argocd', 'team-z', automated(false));
    try {
      const allowed = await run('scale team-z 4', ADA);
      expect(allowed.outcome).toBe('ok');
      kube.sim.tick();
      expect(replicas('Deployment', 'team-z', 'enricher')).toBe(4);
    } finally {
      kube.sim.update('Application', 'argocd', 'team-z', automated(true));
      kube.sim.update('Deployment', 'team-z', 'enricher', (d) => {
        Object.assign(d, setField(d, 'spec.replicas', 3));
      });
    }
  });

  it('warns and asks instead of refusing when so configured, also when it cannot read the application', async () => {
    const warnFixture = createFixture({
      config: workersConfig(kube.kubeconfigPath, { argoSelfHeal: 'warn', argocdNamespace: undefined }),
      policies: workersPolicies,
    });
    const warnApp = await startTestApp(warnFixture, database);
    try {
      const asked = await runAs(warnApp, database, 'scale team-z 4', ADA);
      expect(asked.outcome).toBe('awaiting_confirmation');
      const blocks = JSON.stringify(asked.responder.sent[0]?.message.blocks);
      expect(blocks).toContain('may self-heal and revert this change within seconds');
      expect(blocks).toContain('set kubernetes.argocdNamespace to let it check');
      const responder = recordingResponder({ channel: 'C-ONCALL' });
      const confirmed = await warnApp.pipeline.handleAction({
        entry: 'button',
        actionId: CONFIRM_ACTION,
        value: pendingIdOf(asked.responder.sent),
        caller: { email: ADA },
        channel: 'C-ONCALL',
        responder,
      });
      expect(confirmed).toBe('ok');
      expect(responder.texts()[0]).toContain('managed by the Argo CD application "team-z"');
      expect(replicas('Deployment', 'team-z', 'enricher')).toBe(4);
      // …and Argo CD does what the warning said.
      kube.sim.tickControllers();
      expect(replicas('Deployment', 'team-z', 'enricher')).toBe(3);
    } finally {
      await warnApp.close();
      warnFixture.remove();
    }
  });

  it('explains a missing target, an unreachable cluster, a forbidden call and a server error; each audited', async () => {
    const missing = await run('scale team-m 3 --target missing', ADA);
    expect(missing.outcome).toBe('not_found');
    expect(missing.text).toContain('Deployment team-m/missing does not exist on cluster "sandbox"');
    expect(missing.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'not_found' });

    const offline = await run('scale team-m 3 --target offline', ADA);
    expect(offline.outcome).toBe('error');
    expect(offline.text).toMatch(
      /cannot reach cluster "offline" at http:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    expect(offline.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'error' });

    kube.sim.forbid({ verb: 'update', resource: 'deployments/scale', namespace: 'team-l' });
    try {
      const forbidden = await run('scale team-m 3 --target locked', ADA);
      expect(forbidden.outcome).toBe('error');
      expect(forbidden.text).toContain(
        'cluster "sandbox" refused dpbot: its service account needs the RBAC verb "update" on "deployments/scale" (API group "apps") in namespace "team-l"',
      );
      expect(forbidden.rows.at(-1)).toMatchObject({
        outcome: 'error',
        error: expect.stringContaining('deployments/scale'),
      });
      expect(replicas('Deployment', 'team-l', 'locked')).toBe(2);
    } finally {
      kube.sim.allowAll();
    }

    kube.sim.server.inject({
      method: 'GET',
      path: /deployments\/ingest-workers$/,
      status: 500,
      body: { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcdserver: leader changed' },
      // For as long as the command runs: a readiness watcher of an earlier scale reads the same
      // object in the background and could take a one-time fault.
      times: 1_000,
    });
    const broken = await run('scale team-x 7', ADA);
    kube.sim.server.clearFaults();
    expect(broken.outcome).toBe('error');
    expect(broken.text).toContain(
      'Kubernetes: cluster "sandbox" answered 500 to get deployments of Deployment team-x/ingest-workers: etcdserver: leader changed',
    );
    expect(broken.rows.at(-1)).toMatchObject({ outcome: 'error' });
  });

  it('scales a ConfigMap key and a custom resource field, and needs --target when a team has several', async () => {
    const which = await run('scale team-s 8', ADA);
    expect(which.outcome).toBe('rejected');
    expect(which.text).toContain(
      'team-s has several targets (executors, flink); say which one with --target &lt;name&gt;',
    );

    const spark = await run('scale team-s 10 --target executors', ADA);
    expect(spark.outcome).toBe('ok');
    expect(kube.sim.get('ConfigMap', 'team-s', 'spark-settings')?.data).toEqual({ executors: '10' });
    expect(spark.text).toContain('key "executors" of ConfigMap team-s/spark-settings');
    expect(spark.text).toContain('6/10 ready');

    const flink = await run('scale team-s 3 --target flink', ADA);
    expect(flink.outcome).toBe('ok');
    expect(kube.sim.get('FlinkDeployment', 'team-s', 'enrich')?.spec).toEqual({ job: { parallelism: 3 } });
    expect(flink.text).toContain('Readiness is not tracked for this target');
  });

  it('says when readiness times out and what the pods report', async () => {
    const shortFixture = createFixture({
      config: workersConfig(kube.kubeconfigPath, { readinessTimeout: '1s' }),
      policies: workersPolicies,
    });
    // This instance only sends the watch; the main app's workers carry it out.
    const shortApp = await startTestApp(shortFixture, database);
    try {
      const r = await runAs(shortApp, database, 'scale team-t 6', ADA);
      expect(r.outcome).toBe('ok');
      kube.sim.tick(2);
      const ref = r.ref;
      if (!ref) throw new Error('no ref');
      await eventually(() =>
        expect(notifier.history(ref).at(-1)).toContain('Readiness timed out after 1s: 5/6 ready.'),
      );
      expect(notifier.history(ref).at(-1)).toContain(
        'Pods report: 1 Pending: Unschedulable (0/3 nodes are available: 3 Insufficient cpu.',
      );
    } finally {
      await shortApp.close();
      shortFixture.remove();
    }
  });

  it('asks for the count in a form when there is none (Slack), and the submission runs through the pipeline', async () => {
    setReplicas('Deployment', 'team-t', 'crunch', 6);
    const opened: ModalView[] = [];
    const responder = recordingResponder({ channel: 'C-ONCALL' });
    const outcome = await app.pipeline.handleText({
      entry: 'slack',
      text: 'scale team-t',
      caller: { email: ADA },
      channel: 'C-ONCALL',
      responder,
      openModal: async (view) => {
        opened.push(view);
        return true;
      },
    });
    expect(outcome).toBe('ok');
    expect(responder.sent).toEqual([]);
    const view = opened[0];
    if (!view) throw new Error('no form was opened');
    const inputs = view.blocks.flatMap((b) => (b.type === 'input' ? [b.block_id] : []));
    expect(inputs).toEqual(['replicas', 'for', 'reason']);
    const { text } = modalSubmissionToText({
      ...(view.private_metadata ? { private_metadata: view.private_metadata } : {}),
      state: {
        values: {
          replicas: { [MODAL_INPUT]: { type: 'number_input', value: '4' } },
          for: { [MODAL_INPUT]: { type: 'plain_text_input', value: '' } },
          reason: { [MODAL_INPUT]: { type: 'plain_text_input', value: 'nightly "catch-up"' } },
        },
      },
    });
    expect(text).toBe('scale team-t --target workers replicas=4 reason="nightly \\"catch-up\\""');
    const submitted = await run(text, ADA);
    expect(submitted.outcome).toBe('ok');
    expect(submitted.text).toContain('scaled team-t/workers 6 → 4');
    expect(submitted.text).toContain('Why: nightly "catch-up"');
  });

  it('rejects bad input with what to do', async () => {
    const cases: [string, string, string][] = [
      ['scale team-x lots', 'invalid', 'replicas: expected a whole number of workers, such as 8'],
      ['scale team-x 8 --for soon', 'invalid', 'for: expected a duration such as 30m, 2h or 1d, got "soon"'],
      ['scale team-x 8 --for 30d', 'rejected', '--for must be between 1s and 7d'],
      ['scale team-x 5 --revert', 'invalid', 'give a number of workers or --revert, not both'],
      ['scale team-w 5', 'invalid', 'there is no team "team-w"; did you mean "team-x"'],
      ['scale team-x', 'rejected', 'say how many workers team-x/workers should have'],
      ['scale team-x 5 --target nope', 'rejected', 'team-x has no target "nope" (targets: workers)'],
    ];
    for (const [text, outcome, message] of cases) {
      const r = await run(text, ADA);
      expect([text, r.outcome]).toEqual([text, outcome]);
      expect(r.text).toContain(message);
      expect(r.rows[0]).toMatchObject({ kind: 'attempt' });
      expect(r.rows.length).toBeGreaterThan(0);
    }
  });
});

describe('workers', () => {
  it('shows desired and ready, the HPA, Argo CD, the last change and problems; no buttons without workers.scale', async () => {
    // A raised HPA minimum and a change made through dpbot, for the listing to show.
    kube.sim.update('HorizontalPodAutoscaler', 'team-y', 'loader', (o) => {
      (o.spec as { minReplicas: number }).minReplicas = 4;
    });
    setReplicas('Deployment', 'team-x', 'ingest-workers', 4);
    expect((await run('scale team-x 5', ADA)).outcome).toBe('ok');
    const r = await run('workers', LINUS);
    expect(r.outcome).toBe('ok');
    expect(r.text).toMatch(/team-x \(1–20 workers, confirm above 12\)/);
    expect(r.text).toMatch(
      /workers: \d+ desired, \d+\/\d+ ready — Deployment team-x\/ingest-workers on sandbox/,
    );
    expect(r.text).toContain('HPA loader: min 4, max 10');
    expect(r.text).toContain('Tracked by the Argo CD application team-z');
    expect(r.text).toMatch(/Last change: \d+ → \d+ by <@U0(ADA00001|GRACE001)> at/);
    expect(r.text).toMatch(/offline: cannot read it — Kubernetes: cannot reach cluster "offline"/);
    expect(r.responder.sent[0]?.message.blocks?.some((b) => b.type === 'actions')).toBe(false);
  });

  it('shows Scale buttons to those who may scale, for their teams only', async () => {
    const r = await run('workers team-x', GRACE);
    expect(r.outcome).toBe('ok');
    const actions = JSON.stringify(r.responder.sent[0]?.message.blocks?.filter((b) => b.type === 'actions'));
    expect(actions).toContain('scale team-x --target workers');
    const other = await run('workers team-y', GRACE);
    expect(other.outcome).toBe('ok');
    expect(other.responder.sent[0]?.message.blocks?.some((b) => b.type === 'actions')).toBe(false);
  });
});
