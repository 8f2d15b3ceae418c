import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from '../../sandbox/kubernetes/kubernetesSimulator.ts';

/**
 * The models of @kubernetes/client-node are generated from Kubernetes' published OpenAPI document;
 * each lists its fields (JSON name, type). A simulator answer is held to them: every field one the
 * API defines, of its type, nested models included. Nobody here wrote them.
 */
interface Attribute {
  baseName: string;
  type: string;
}

function attributesOf(model: string): readonly Attribute[] | undefined {
  const candidate: unknown = (k8s as Record<string, unknown>)[model];
  if (typeof candidate !== 'function' || !('getAttributeTypeMap' in candidate)) return undefined;
  const read = (candidate as { getAttributeTypeMap: () => Attribute[] }).getAttributeTypeMap;
  return read();
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function mismatches(value: unknown, type: string, path: string): string[] {
  if (value === null) return [`${path}: null where the API omits the field or sends a ${type}`];
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1]) {
    const item = array[1];
    return Array.isArray(value)
      ? value.flatMap((v, i) => mismatches(v, item, `${path}[${i}]`))
      : [`${path}: expected an array of ${item}`];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1]) {
    const item = map[1];
    return typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => mismatches(v, item, `${path}.${k}`))
      : [`${path}: expected a map of ${item}`];
  }
  switch (type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'Date':
      return typeof value === 'string' && RFC3339.test(value) ? [] : [`${path}: expected an RFC 3339 time`];
    case 'IntOrString':
      return typeof value === 'string' || typeof value === 'number'
        ? []
        : [`${path}: expected int or string`];
    case 'any':
    case 'object':
      return [];
    default: {
      const attributes = attributesOf(type);
      if (!attributes) return [`${path}: no model ${type}`];
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected a ${type} object`];
      return Object.entries(value).flatMap(([key, v]) => {
        const attribute = attributes.find((a) => a.baseName === key);
        return attribute
          ? mismatches(v, attribute.type, `${path}.${key}`)
          : [`${path}.${key}: not a field of ${type}`];
      });
    }
  }
}

describe("Kubernetes simulator answers, held to Kubernetes' published API (client-node models)", () => {
  const sim = new KubernetesSimulator();
  const auth = { authorization: `Bearer ${sim.token}` };
  const get = async (path: string) => {
    const response = await fetch(`${sim.url}${path}`, { headers: auth });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const send = async (method: 'PUT' | 'PATCH', path: string, body: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        ...auth,
        'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    sim
      .addWorkload({ kind: 'Deployment', namespace: 'team-x', name: 'workers', replicas: 4, ready: 4 })
      .addWorkload({
        kind: 'Deployment',
        namespace: 'team-x',
        name: 'cold',
        replicas: 2,
        ready: 0,
        capacity: 0,
      })
      .addWorkload({ kind: 'StatefulSet', namespace: 'team-y', name: 'loader', replicas: 3, ready: 2 })
      .addConfigMap({ namespace: 'team-z', name: 'settings', data: { workers: '2' } })
      .addHpa({
        namespace: 'team-x',
        name: 'workers',
        target: { kind: 'Deployment', name: 'workers' },
        minReplicas: 2,
        maxReplicas: 10,
      });
    await sim.start();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it.each([
    ['/apis/apps/v1/namespaces/team-x/deployments/workers', 'V1Deployment'],
    ['/apis/apps/v1/namespaces/team-x/deployments/cold', 'V1Deployment'],
    ['/apis/apps/v1/namespaces/team-y/statefulsets/loader', 'V1StatefulSet'],
    ['/apis/apps/v1/namespaces/team-x/deployments/workers/scale', 'V1Scale'],
    ['/apis/apps/v1/namespaces/team-y/statefulsets/loader/scale', 'V1Scale'],
    ['/api/v1/namespaces/team-z/configmaps/settings', 'V1ConfigMap'],
    ['/apis/autoscaling/v2/namespaces/team-x/horizontalpodautoscalers/workers', 'V2HorizontalPodAutoscaler'],
    ['/apis/autoscaling/v2/namespaces/team-x/horizontalpodautoscalers', 'V2HorizontalPodAutoscalerList'],
    ['/apis/apps/v1/namespaces/team-x/deployments', 'V1DeploymentList'],
    ['/api/v1/namespaces/team-x/pods?labelSelector=app%3Dworkers', 'V1PodList'],
    ['/apis/apps/v1/namespaces/team-x/deployments/nope', 'V1Status'],
  ])('GET %s is a %s', async (path, model) => {
    const { body } = await get(path);
    expect(mismatches(body, model, model)).toEqual([]);
  });

  it('leaves readyReplicas out, not 0, while no pod is ready', async () => {
    const { body } = await get('/apis/apps/v1/namespaces/team-x/deployments/cold');
    expect(body.status).not.toHaveProperty('readyReplicas');
  });

  it('gives lists a resourceVersion of their own', async () => {
    for (const path of [
      '/apis/apps/v1/namespaces/team-x/deployments',
      '/api/v1/namespaces/team-x/pods?labelSelector=app%3Dworkers',
      '/apis/autoscaling/v2/namespaces/team-x/horizontalpodautoscalers',
    ]) {
      const { body } = await get(path);
      expect(typeof (body.metadata as { resourceVersion?: unknown }).resourceVersion, path).toBe('string');
    }
  });

  it('changes an opaque resourceVersion on every write, and answers a stale one with 409 and a Status', async () => {
    const path = '/apis/apps/v1/namespaces/team-x/deployments/workers/scale';
    const before = (await get(path)).body as { metadata: { resourceVersion: string } };
    expect(typeof before.metadata.resourceVersion).toBe('string');
    const written = await send('PUT', path, { ...before, spec: { replicas: 5 } });
    expect(written.status).toBe(200);
    const after = written.body as { metadata: { resourceVersion: string } };
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
    const patched = await send('PATCH', path, { spec: { replicas: 6 } });
    expect((patched.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion).not.toBe(
      after.metadata.resourceVersion,
    );

    const stale = await send('PUT', path, { ...before, spec: { replicas: 7 } });
    expect(stale.status).toBe(409);
    expect(mismatches(stale.body, 'V1Status', 'V1Status')).toEqual([]);
    expect(stale.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
  });

  it("keeps managedFields on writes and records the controllers' scaling events, in the published shapes", async () => {
    const path = '/apis/apps/v1/namespaces/team-x/deployments/workers/scale?fieldManager=kubectl';
    const patched = await send('PATCH', path, { spec: { replicas: 9 } });
    expect(patched.status).toBe(200);
    const { body } = await get('/apis/apps/v1/namespaces/team-x/deployments/workers');
    expect(mismatches(body, 'V1Deployment', 'V1Deployment')).toEqual([]);
    const managed = (body.metadata as { managedFields?: Record<string, unknown>[] }).managedFields ?? [];
    expect(managed).toContainEqual(
      expect.objectContaining({
        manager: 'kubectl',
        operation: 'Update',
        subresource: 'scale',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      }),
    );
    const events = await get('/api/v1/namespaces/team-x/events');
    expect(mismatches(events.body, 'CoreV1EventList', 'CoreV1EventList')).toEqual([]);
    expect(JSON.stringify(events.body)).toContain('ScalingReplicaSet');
    const tooLong = await send('PATCH', `${path}${'x'.repeat(130)}`, { spec: { replicas: 8 } });
    expect(tooLong.status).toBe(422);
  });

  it('is a judge that can say no', () => {
    expect(
      mismatches(
        { spec: { replicas: '4', replica: 1 }, status: { readyReplicas: null } },
        'V1Scale',
        'V1Scale',
      ),
    ).toEqual([
      'V1Scale.spec.replicas: expected a number, got "4"',
      'V1Scale.spec.replica: not a field of V1ScaleSpec',
      'V1Scale.status.readyReplicas: not a field of V1ScaleStatus',
    ]);
  });
});
