import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotJsonAnswerError, UpstreamError } from '../../core/errors.ts';
import { HttpArgoClient } from '../../integrations/argo/argoClient.ts';
import { labelValue } from '../../integrations/argo/labels.ts';
import { LABEL_VALUE } from '../../sandbox/argo/argoApi.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import {
  BROKEN_BACKFILL_DATASET,
  DEMO_NAMESPACE,
  demoCronWorkflows,
  demoTemplates,
} from '../../sandbox/argo/demoTemplates.ts';

const TOKEN = 'argo-test-token';
const argo = new ArgoSimulator({ token: TOKEN, forbiddenNamespaces: ['finance'], autoAdvance: false });
for (const t of demoTemplates) argo.addTemplate(t);
for (const c of demoCronWorkflows(new Date('2026-11-20T12:00:00Z'))) argo.addCronWorkflow(c);
const log = pino({ level: 'silent' });
let client: HttpArgoClient;

beforeAll(async () => {
  await argo.start();
  client = new HttpArgoClient({
    url: argo.url,
    uiUrl: 'https://argo.example.com/',
    token: `Bearer ${TOKEN}`,
    timeoutMs: 1000,
    log,
  });
});
afterAll(() => argo.stop());

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UpstreamError)) throw new Error(`expected an UpstreamError, got ${String(error)}`);
  return error;
}

describe('Argo Workflows client against the simulator', () => {
  it('submits from a WorkflowTemplate with parameters verbatim and sanitized labels', async () => {
    const nasty = `a'b"c $(rm -rf /); \`id\` | tee /etc/x && echo =x, y=z\\n`;
    const wf = await client.submit({
      namespace: DEMO_NAMESPACE,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'orders', from: '2026-11-01', to: '2026-11-02', mode: nasty },
      labels: {
        'dpbot/requester': 'ada@example.com',
        'dpbot/slack-user': 'U0ADA00001',
        'dpbot/task': 'backfill',
      },
    });
    expect(wf.metadata.name).toMatch(/^backfill-[0-9a-f]{5}$/);
    const sent = argo.submissions.at(-1);
    expect(sent?.submitOptions?.parameters).toContain(`mode=${nasty}`);
    expect(sent?.submitOptions?.labels).toBe(
      'dpbot/requester=ada_at_example.com,dpbot/slack-user=U0ADA00001,dpbot/task=backfill',
    );
    const params = argo.workflow(DEMO_NAMESPACE, wf.metadata.name ?? '')?.spec?.arguments?.parameters;
    expect(params?.find((p) => p.name === 'mode')?.value).toBe(nasty);
  });

  it('reads a workflow as it progresses, fails with the failing node, and lists by label', async () => {
    const wf = await client.submit({
      namespace: DEMO_NAMESPACE,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: BROKEN_BACKFILL_DATASET, from: '2026-11-01', to: '2026-11-05' },
      labels: { 'dpbot/run': '7' },
    });
    const name = wf.metadata.name ?? '';
    argo.advance(DEMO_NAMESPACE, name, 2);
    const running = await client.get(DEMO_NAMESPACE, name);
    expect(running.status?.phase).toBe('Running');
    expect(running.status?.progress).toBe('0/7');
    argo.advance(DEMO_NAMESPACE, name, 10);
    const failed = await client.get(DEMO_NAMESPACE, name);
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.progress).toBe('4/7');
    const node = Object.values(failed.status?.nodes ?? {}).find(
      (n) => n.type === 'Pod' && n.phase === 'Failed',
    );
    expect(node?.displayName).toBe('load-2026-11-03');
    expect(node?.message).toContain('source partition dt=2026-11-03 is missing');
    const listed = await client.list(DEMO_NAMESPACE, { labelSelector: 'dpbot/run=7' });
    expect(listed.map((w) => w.metadata.name)).toEqual([name]);
    expect(client.workflowUrl(DEMO_NAMESPACE, name)).toBe(
      `https://argo.example.com/workflows/${DEMO_NAMESPACE}/${name}`,
    );
  });

  it('streams the main container logs and keeps the last lines', async () => {
    const wf = await client.submit({
      namespace: DEMO_NAMESPACE,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'orders', from: '2026-11-01', to: '2026-11-03' },
    });
    const name = wf.metadata.name ?? '';
    argo.advance(DEMO_NAMESPACE, name, 20);
    const all = await client.logs(DEMO_NAMESPACE, name, { tailLines: 100 });
    expect(all.lines.map((l) => l.content)).toContain('reading orders dt=2026-11-02');
    expect(all.lines.at(-1)?.content).toBe('done');
    expect(all.truncated).toBe(false);
    const tail = await client.logs(DEMO_NAMESPACE, name, { tailLines: 2 });
    expect(tail.lines.map((l) => l.content)).toEqual(['refreshing orders statistics', 'done']);
    expect(tail.truncated).toBe(true);
    expect(argo.sim.requests.at(-1)?.query).toContain('logOptions.container=main');
  });

  it('stops and terminates running workflows, and refuses to stop a finished one', async () => {
    const submit = () =>
      client.submit({
        namespace: 'team-x',
        kind: 'ClusterWorkflowTemplate',
        template: 'compact-table',
        parameters: { team: 'team-x', table: 'events' },
      });
    const a = (await submit()).metadata.name ?? '';
    argo.advance('team-x', a, 2);
    await client.stop('team-x', a);
    const stopped = await client.get('team-x', a);
    expect(stopped.spec?.shutdown).toBe('Stop');
    argo.advance('team-x', a, 1);
    expect((await client.get('team-x', a)).status?.message).toBe("Stopped with strategy 'Stop'");

    const b = (await submit()).metadata.name ?? '';
    argo.advance('team-x', b, 2);
    const terminated = await client.terminate('team-x', b);
    expect([terminated.status?.phase, terminated.status?.message]).toEqual([
      'Failed',
      "Stopped with strategy 'Terminate'",
    ]);
    const again = await failure(client.stop('team-x', b));
    expect(again.message).toContain('cannot shutdown a completed workflow');
  });

  it('reads cron workflows', async () => {
    const cron = await client.getCronWorkflow(DEMO_NAMESPACE, 'orders-daily');
    expect(cron.spec.schedules).toEqual(['0 3 * * *']);
    expect(cron.status?.lastScheduledTime).toBe('2026-11-20T02:00:00.000Z');
  });

  it('lists cron workflows and the runs they started, with workflows that ran before', async () => {
    const crons = await client.listCronWorkflows(DEMO_NAMESPACE);
    expect(crons.map((c) => c.metadata.name).sort()).toEqual([
      'legacy_events-daily',
      'orders-daily',
      'payments-hourly',
    ]);
    // An empty list arrives as `"items": null`.
    expect(await client.listCronWorkflows('nobody-here')).toEqual([]);
    argo.addWorkflow({
      metadata: {
        name: 'orders-daily-1763604000',
        namespace: DEMO_NAMESPACE,
        labels: { 'workflows.argoproj.io/cron-workflow': 'orders-daily' },
      },
      spec: { workflowTemplateRef: { name: 'backfill' } },
    });
    const runs = await client.listSummaries(DEMO_NAMESPACE, {
      labelSelector: 'workflows.argoproj.io/cron-workflow=orders-daily',
    });
    expect(runs.map((w) => w.metadata.name)).toEqual(['orders-daily-1763604000']);
    const query = new URLSearchParams(argo.requests.at(-1)?.query);
    expect(query.get('fields')).toContain('items.status.phase');
    // `k` selects workflows that have the label at all, `!k` those that do not.
    const cronRuns = await client.listSummaries(DEMO_NAMESPACE, {
      labelSelector: 'workflows.argoproj.io/cron-workflow',
    });
    expect(cronRuns.map((w) => w.metadata.name)).toEqual(['orders-daily-1763604000']);
    const submitted = await client.submit({
      namespace: DEMO_NAMESPACE,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'orders', from: '2026-11-01', to: '2026-11-02' },
    });
    const others = await client.listSummaries(DEMO_NAMESPACE, {
      labelSelector: '!workflows.argoproj.io/cron-workflow',
    });
    expect(others.map((w) => w.metadata.name)).toContain(submitted.metadata.name);
    expect(others.map((w) => w.metadata.name)).not.toContain('orders-daily-1763604000');
  });

  it('says clearly what went wrong: 401, 403, 404, 400, 500, timeouts, unreachable', async () => {
    const wrong = new HttpArgoClient({ url: argo.url, token: 'nope', timeoutMs: 1000, log });
    const unauthorized = await failure(wrong.get(DEMO_NAMESPACE, 'x'));
    expect([unauthorized.status, unauthorized.message]).toEqual([
      401,
      expect.stringMatching(/^Argo Workflows: refused dpbot's token \(401\).*check ARGO_TOKEN/),
    ]);

    const forbidden = await failure(
      client.submit({ namespace: 'finance', kind: 'WorkflowTemplate', template: 'backfill', parameters: {} }),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.message).toContain(
      'may not submit WorkflowTemplate backfill in namespace finance (403)',
    );
    expect(forbidden.message).toContain('cannot create resource "workflows"');

    const missing = await failure(
      client.submit({
        namespace: DEMO_NAMESPACE,
        kind: 'WorkflowTemplate',
        template: 'nope',
        parameters: {},
      }),
    );
    expect(missing.message).toBe(
      'Argo Workflows: could not submit WorkflowTemplate nope in namespace data-jobs: not found (404): workflowtemplates.argoproj.io "nope" not found',
    );
    expect((await failure(client.get(DEMO_NAMESPACE, 'gone'))).status).toBe(404);

    const invalid = await failure(
      client.submit({
        namespace: DEMO_NAMESPACE,
        kind: 'WorkflowTemplate',
        template: 'backfill',
        parameters: {},
      }),
    );
    expect(invalid.message).toContain('(400): spec.arguments.parameters.dataset.value is required');

    argo.sim.inject({
      path: /\/api\/v1\/workflows\//,
      status: 500,
      body: { code: 13, message: 'etcdserver: request timed out' },
      times: 1,
    });
    const broken = await failure(client.get(DEMO_NAMESPACE, 'x'));
    expect(broken.message).toBe(
      'Argo Workflows: failed (500) when asked to read workflow x in namespace data-jobs: etcdserver: request timed out',
    );

    argo.sim.inject({ path: /\/api\/v1\/workflows\//, delayMs: 600, times: 1 });
    const slow = new HttpArgoClient({ url: argo.url, token: TOKEN, timeoutMs: 200, log });
    const timedOut = await failure(slow.get(DEMO_NAMESPACE, 'x'));
    expect(timedOut.message).toMatch(/did not answer within 200ms when asked to read workflow x/);

    const nowhere = new HttpArgoClient({ url: 'http://127.0.0.1:9', token: TOKEN, timeoutMs: 1000, log });
    expect((await failure(nowhere.get(DEMO_NAMESPACE, 'x'))).message).toMatch(
      /cannot reach http:\/\/127\.0\.0\.1:9/,
    );
  });
});

describe('Argo Workflows client retries and messages', () => {
  it('tries an operation once with its own message, and a status read once more with core/http messages', async () => {
    const before = argo.sim.requests.length;
    argo.sim.inject({ path: /\/api\/v1\/workflows\//, status: 503, times: 1 });
    const unavailable = await failure(client.get(DEMO_NAMESPACE, 'x'));
    expect(unavailable.message).toBe(
      'Argo Workflows: failed (503) when asked to read workflow x in namespace data-jobs: injected 503',
    );
    expect(argo.sim.requests.length - before).toBe(1);

    argo.sim.inject({ path: /\/api\/v1\/cron-workflows\//, status: 503, times: 1 });
    const cron = await client.getCronWorkflow(DEMO_NAMESPACE, 'orders-daily');
    expect(cron.spec.schedules).toEqual(['0 3 * * *']);
    expect(argo.sim.requests.length - before).toBe(3);

    argo.sim.inject({ path: /\/api\/v1\/cron-workflows\//, status: 403, times: 1 });
    const forbidden = await failure(client.listCronWorkflows(DEMO_NAMESPACE));
    expect([forbidden.status, forbidden.message]).toEqual([
      403,
      'Argo Workflows: answered HTTP 403: injected 403',
    ]);
  });

  it('says which operation got an answer that is not JSON', async () => {
    const proxy = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>sign in</html>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const behindProxy = new HttpArgoClient({ url, token: TOKEN, timeoutMs: 1000, log });
      const error = await failure(behindProxy.get(DEMO_NAMESPACE, 'x'));
      expect(error).toBeInstanceOf(NotJsonAnswerError);
      expect([error.status, error.message]).toEqual([
        200,
        'Argo Workflows: could not read workflow x in namespace data-jobs: the answer was not JSON (<html>sign in</html>)',
      ]);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

describe('label values', () => {
  it.each([
    ['ada@example.com', 'ada_at_example.com'],
    ['U0ADA00001', 'U0ADA00001'],
    ['-weird name!-', 'weird_name'],
    ['x'.repeat(80), 'x'.repeat(63)],
    [`${'a'.repeat(62)}.b`, 'a'.repeat(62)],
    ['日本', ''],
  ])('%s → %s, always a valid label value', (input, expected) => {
    const value = labelValue(input);
    expect(value).toBe(expected);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(LABEL_VALUE.test(value)).toBe(true);
  });
});
