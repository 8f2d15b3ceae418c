import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpArgoClient } from '../../integrations/argo/argoClient.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { DEMO_NAMESPACE, demoCronWorkflows, demoTemplates } from '../../sandbox/argo/demoTemplates.ts';
import { argoWorkflowsContract } from './checkers/argoWorkflows.ts';
import { type Exchange, OpenApiContract } from './support/openapi.ts';

/**
 * Argo Workflows' published OpenAPI document (v4.1, test/contract/specs/) is the judge of every
 * request dpbot's real client sends and every answer the simulator gives: here every operation
 * dpbot uses, on purpose (the suite's set-up also judges every exchange of every other test).
 */
const contract = argoWorkflowsContract();

const TOKEN = 'argo-contract-token';
const argo = new ArgoSimulator({
  token: TOKEN,
  autoAdvance: true,
  cronWorkflows: demoCronWorkflows(new Date()),
});
for (const t of demoTemplates) argo.addTemplate(t);
const exchanges = argo.sim.recordExchanges();
let client: HttpArgoClient;

beforeAll(async () => {
  await argo.start();
  client = new HttpArgoClient({
    url: argo.url,
    token: TOKEN,
    timeoutMs: 2000,
    log: pino({ level: 'silent' }),
  });
});
afterAll(() => argo.stop());

describe("dpbot's Argo Workflows client and the simulator, held to Argo Workflows' OpenAPI document", () => {
  it('every request and answer of every operation dpbot uses keeps to the document', async () => {
    const ns = DEMO_NAMESPACE;
    await client.listSummaries(ns, { labelSelector: 'dpbot/run=none' }); // an empty list: items null
    const run = await client.submit({
      namespace: ns,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'orders', from: '2026-11-01', to: '2026-11-03' },
      labels: { 'dpbot/run': '1', 'dpbot/by': 'ada@example.com' },
    });
    const name = run.metadata.name ?? '';
    for (let i = 0; i < 12; i++) await client.get(ns, name); // every phase, nodes included
    await client.list(ns, { labelSelector: 'dpbot/run=1', limit: 5 });
    await client.listSummaries(ns, { labelSelector: 'dpbot/run', limit: 1 });
    await client.logs(ns, name, { tailLines: 10 });
    await client.logs(ns, name, { container: 'wait', podName: 'nope' });
    const stopped = await client.submit({
      namespace: ns,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'a', from: '2026-11-01', to: '2026-11-09' },
    });
    await client.get(ns, stopped.metadata.name ?? '');
    await client.get(ns, stopped.metadata.name ?? '');
    await client.stop(ns, stopped.metadata.name ?? '', 'stopped by ada');
    await client.get(ns, stopped.metadata.name ?? ''); // the stop carried out
    const killed = await client.submit({
      namespace: ns,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'b', from: '2026-11-01', to: '2026-11-02' },
    });
    await client.terminate(ns, killed.metadata.name ?? '');
    await client
      .submit({ namespace: ns, kind: 'WorkflowTemplate', template: 'nope', parameters: {} })
      .catch(() => undefined);
    await client.get(ns, 'missing').catch(() => undefined);
    await client.listCronWorkflows(ns);
    await client.getCronWorkflow(ns, 'orders-daily');
    await client.getCronWorkflow(ns, 'missing').catch(() => undefined);
    // dpbot doctor: the templates, and a submission checked by a server dry run.
    await client.getTemplate('WorkflowTemplate', ns, 'backfill');
    await client.getTemplate('WorkflowTemplate', ns, 'missing').catch(() => undefined);
    await client.getTemplate('ClusterWorkflowTemplate', ns, 'compact-table');
    await client.submit({
      namespace: ns,
      kind: 'WorkflowTemplate',
      template: 'backfill',
      parameters: { dataset: 'orders', from: '2026-01-01', to: '2026-01-01' },
      dryRun: true,
    });

    const statuses = new Set(exchanges.map((e) => `${e.method} ${e.status}`));
    expect(statuses).toEqual(new Set(['GET 200', 'POST 200', 'PUT 200', 'POST 404', 'GET 404']));
    expect(exchanges.some((e) => e.responseText?.includes('"result"'))).toBe(true);
    expect(exchanges.flatMap((e) => contract.check(e))).toEqual([]);
  });
});

describe('a workflow Argo no longer has', () => {
  it("is deleted as argo-server deletes it, removed by its TTL on the simulator's clock, and then answered 404 with grpc-gateway's NotFound body", async () => {
    let now = new Date('2026-11-20T10:00:00Z');
    const sim = new ArgoSimulator({ token: TOKEN, autoAdvance: false, now: () => now });
    sim.addTemplate({
      kind: 'WorkflowTemplate',
      name: 'kept-an-hour',
      namespace: DEMO_NAMESPACE,
      parameters: [],
      steps: () => [{ name: 'work' }],
      ttlStrategy: { secondsAfterCompletion: 3600, secondsAfterFailure: 86_400 },
    });
    const recorded = sim.sim.recordExchanges();
    await sim.start();
    try {
      const c = new HttpArgoClient({
        url: sim.url,
        token: TOKEN,
        timeoutMs: 2000,
        log: pino({ level: 'silent' }),
      });
      const ns = DEMO_NAMESPACE;
      const submit = () =>
        c.submit({ namespace: ns, kind: 'WorkflowTemplate', template: 'kept-an-hour', parameters: {} });
      const expired = (await submit()).metadata.name ?? '';
      const deleted = (await submit()).metadata.name ?? '';
      sim.advance(ns, expired, 3);
      expect((await c.get(ns, expired)).status?.phase).toBe('Succeeded');
      const template = await c.getTemplate('WorkflowTemplate', ns, 'kept-an-hour');
      expect(template.spec).toMatchObject({ ttlStrategy: { secondsAfterCompletion: 3600 } });

      const answer = await fetch(`${sim.url}/api/v1/workflows/${ns}/${deleted}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect([answer.status, await answer.json()]).toEqual([200, {}]);
      const gone = await c.get(ns, deleted).catch((e: unknown) => e);
      expect(gone).toMatchObject({ status: 404 });
      expect(recorded.at(-1)).toMatchObject({ method: 'GET', status: 404 });
      expect(recorded.at(-1)?.responseBody).toEqual({
        code: 5,
        message: `workflows.argoproj.io "${deleted}" not found`,
        error: `workflows.argoproj.io "${deleted}" not found`,
      });

      // Kept until its TTL passes by the simulator's clock, whatever the wall clock says.
      now = new Date(now.getTime() + 3_599_000);
      expect((await c.get(ns, expired)).status?.phase).toBe('Succeeded');
      now = new Date(now.getTime() + 1_000);
      await expect(c.get(ns, expired)).rejects.toMatchObject({ status: 404 });
      await expect(c.logs(ns, expired)).rejects.toMatchObject({ status: 404 });
      expect(sim.workflows()).toEqual([]);
      expect(recorded.flatMap((e) => contract.check(e))).toEqual([]);
    } finally {
      await sim.stop();
    }
  });
});

describe('the OpenAPI checker fails what the document does not allow', () => {
  const base: Exchange = {
    method: 'GET',
    path: '/api/v1/workflows/ns/wf',
    query: '',
    body: undefined,
    status: 404,
    responseBody: { code: 5, message: 'not found' },
  };
  const submit = (body: unknown): Exchange => ({
    ...base,
    method: 'POST',
    path: '/api/v1/workflows/ns/submit',
    body,
  });

  it('passes a request and answer that keep to it', () => {
    expect(
      contract.check(
        submit({
          namespace: 'ns',
          resourceKind: 'WorkflowTemplate',
          resourceName: 't',
          submitOptions: { parameters: ['a=b'] },
        }),
      ),
    ).toEqual([]);
  });

  it('an unknown body field, also deep inside', () => {
    const problems = contract.check(
      submit({
        namespace: 'ns',
        resourceKind: 'WorkflowTemplate',
        resourceName: 't',
        submitOptions: { parameter: ['a=b'] },
      }),
    );
    expect(problems.join('\n')).toMatch(/request body\/submitOptions: unknown field "parameter"/);
  });

  it('an unknown query parameter, and a value of the wrong type', () => {
    expect(
      contract.check({ ...base, path: '/api/v1/workflows/ns', query: '?labelSelector=a%3Db' }).join('\n'),
    ).toMatch(/unknown query parameter "labelSelector"/);
    expect(
      contract.check({ ...base, path: '/api/v1/workflows/ns', query: '?listOptions.watch=yes' }).join('\n'),
    ).toMatch(/"listOptions.watch" is "yes", not true or false/);
  });

  it('a missing required field, a wrong type and an unknown field in an answer', () => {
    const answer = {
      metadata: { name: 'wf' },
      status: { nodes: { a: { id: 'a', type: 'Pod' } }, progress: 3, phaze: 'Running' },
    };
    const problems = contract.check({ ...base, status: 200, responseBody: answer }).join('\n');
    expect(problems).toMatch(/response 200: required field "spec" missing/);
    expect(problems).toMatch(/response 200\/status\/nodes\/a: required field "name" missing/);
    expect(problems).toMatch(/response 200\/status\/progress: must be string/);
    expect(problems).toMatch(/response 200\/status: unknown field "phaze"/);
  });

  it('an unknown path, and a method the path does not have', () => {
    expect(contract.check({ ...base, path: '/api/v1/workflow/ns/wf' })).toEqual([
      'GET /api/v1/workflow/ns/wf: no path of the document matches',
    ]);
    expect(contract.check({ ...base, method: 'PATCH' }).join('\n')).toMatch(/PATCH is not an operation of/);
  });

  it('a value outside an enum (an OpenAPI 3 document, which the checker reads too)', () => {
    const oas3 = new OpenApiContract({
      openapi: '3.0.3',
      paths: {
        '/things/{id}': {
          put: {
            parameters: [{ name: 'mode', in: 'query', schema: { type: 'string', enum: ['fast', 'safe'] } }],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
            },
            responses: { '204': { description: 'done' } },
          },
        },
      },
      components: {
        schemas: {
          Thing: {
            type: 'object',
            required: ['kind'],
            properties: {
              kind: { type: 'string', enum: ['a', 'b'] },
              note: { type: 'string', nullable: true },
            },
          },
        },
      },
    });
    const put = (query: string, body: unknown): Exchange => ({
      method: 'PUT',
      path: '/things/1',
      query,
      body,
      status: 204,
      responseBody: undefined,
    });
    expect(oas3.check(put('?mode=safe', { kind: 'a', note: null }))).toEqual([]);
    expect(oas3.check(put('?mode=quick', { kind: 'c' })).join('\n')).toMatch(
      /"mode" is "quick", not one of fast, safe[\s\S]*request body\/kind: must be equal to one of the allowed values \(a, b\)/,
    );
    expect(oas3.check(put('', {})).join('\n')).toMatch(/required field "kind" missing/);
    expect(oas3.check(put('', undefined)).join('\n')).toMatch(/requires a body/);
  });
});
