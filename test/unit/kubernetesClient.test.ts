import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { createMetrics } from '../../core/metrics.ts';
import { KubeClusters } from '../../integrations/kubernetes/kubeClusters.ts';
import type { WorkloadRef } from '../../integrations/kubernetes/kubernetes.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';

let kube: RunningKubernetes;
let clusters: KubeClusters;

const workers: WorkloadRef = {
  kind: 'Deployment',
  cluster: 'sandbox',
  namespace: 'team-x',
  name: 'ingest-workers',
};

beforeAll(async () => {
  kube = await startKubernetes((sim) => {
    sim
      .addWorkload({ kind: 'Deployment', namespace: 'team-x', name: 'ingest-workers', replicas: 4 })
      .addWorkload({ kind: 'StatefulSet', namespace: 'team-y', name: 'loader', replicas: 3 })
      .addHpa({
        namespace: 'team-y',
        name: 'loader',
        target: { kind: 'StatefulSet', name: 'loader' },
        minReplicas: 2,
        maxReplicas: 10,
      })
      .addWorkload({ kind: 'Deployment', namespace: 'team-c', name: 'tight', replicas: 2, capacity: 3 })
      .addConfigMap({
        namespace: 'team-s',
        name: 'spark-settings',
        data: { executors: '6', memory: '4g' },
        pods: { key: 'executors', labels: { app: 'spark-executor' } },
      })
      .addCustomObject({
        group: 'flink.apache.org',
        version: 'v1beta1',
        plural: 'flinkdeployments',
        kind: 'FlinkDeployment',
        namespace: 'team-f',
        name: 'enrich',
        spec: { job: { parallelism: 2 } },
      })
      .addArgoApplication({ name: 'team-z', selfHeal: true, destinationNamespace: 'team-z' })
      .addArgoApplication({
        name: 'team-q',
        selfHeal: true,
        ignoreReplicas: true,
        respectIgnoreDifferences: true,
        destinationNamespace: 'team-q',
      });
  });
  clusters = new KubeClusters({
    kubeconfig: kube.kubeconfigPath,
    env: {},
    requestTimeoutMs: 5000,
    conflictRetries: 3,
    log: pino({ level: 'silent' }),
  });
});
afterAll(() => kube.stop());

describe('the Kubernetes simulator, through @kubernetes/client-node', () => {
  it('reads a Deployment and scales it through the scale subresource with its resourceVersion', async () => {
    const before = await clusters.read(workers);
    expect(before).toMatchObject({ replicas: 4, ready: 4, current: 4, selector: 'app=ingest-workers' });
    const change = await clusters.setReplicas(workers, 8);
    expect(change).toEqual({ from: 4, to: 8, conflicts: 0 });
    const put = kube.sim.requests.filter((r) => r.method === 'PUT').at(-1);
    expect(put?.path).toBe('/apis/apps/v1/namespaces/team-x/deployments/ingest-workers/scale');
    expect(put?.headers.authorization).toBe(`Bearer ${kube.sim.token}`);
    expect(put?.body).toMatchObject({
      kind: 'Scale',
      metadata: { resourceVersion: expect.any(String) },
      spec: { replicas: 8 },
    });
    expect(await clusters.read(workers)).toMatchObject({ replicas: 8, ready: 4, current: 8 });
    kube.sim.tick(2);
    expect((await clusters.read(workers)).ready).toBe(6);
    kube.sim.tick(5);
    expect((await clusters.read(workers)).ready).toBe(8);
  });

  it('reuses connections: one per cluster, not one per API call', async () => {
    // A client of its own, so that no connection of an earlier test is in its pool.
    const own = new KubeClusters({
      kubeconfig: kube.kubeconfigPath,
      env: {},
      requestTimeoutMs: 5000,
      conflictRetries: 3,
      log: pino({ level: 'silent' }),
    });
    const before = kube.sim.server.requests.length;
    for (let i = 0; i < 10; i++) await own.read(workers);
    const ports = new Set(kube.sim.server.requests.slice(before).map((r) => r.remotePort));
    expect(kube.sim.server.requests.length - before).toBe(10);
    // One connection, or two when the next request is sent before the pool has taken the first
    // back; never one per call, as the library alone does.
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('retries after a 409 Conflict when someone else changed the object in between', async () => {
    kube.sim.changeAfterNextRead('Deployment', 'team-x', 'ingest-workers', (o) => {
      (o.spec as { replicas: number }).replicas = 5;
    });
    const change = await clusters.setReplicas(workers, 9);
    // The second attempt replaced what the other writer set, not the stale value.
    expect(change).toEqual({ from: 5, to: 9, conflicts: 1 });
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(9);
  });

  it('gives up with a ConflictError when the object keeps changing', async () => {
    kube.sim.server.inject({
      method: 'PUT',
      path: /ingest-workers\/scale$/,
      status: 409,
      times: 4,
      body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' },
    });
    await expect(clusters.setReplicas(workers, 3)).rejects.toThrow(ConflictError);
    await expect(clusters.setReplicas(workers, 3)).resolves.toMatchObject({ from: 9, to: 3 });
  });

  it('accepts PATCH of the scale subresource (merge patch and the default JSON patch)', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    kc.setCurrentContext('sandbox');
    const apps = kc.makeApiClient(AppsV1Api);
    const merged = await apps.patchNamespacedDeploymentScale(
      { name: 'ingest-workers', namespace: 'team-x', body: { spec: { replicas: 6 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.spec?.replicas).toBe(6);
    const patched = await apps.patchNamespacedDeploymentScale({
      name: 'ingest-workers',
      namespace: 'team-x',
      body: [{ op: 'replace', path: '/spec/replicas', value: 7 }],
    });
    expect(patched.spec?.replicas).toBe(7);
    expect(patched.status?.selector).toBe('app=ingest-workers');
  });

  it('finds the HPA of a workload and raises its minimum with a merge patch', async () => {
    const ref: WorkloadRef = { kind: 'StatefulSet', cluster: 'sandbox', namespace: 'team-y', name: 'loader' };
    expect(await clusters.hpaFor(ref)).toMatchObject({
      name: 'loader',
      minReplicas: 2,
      maxReplicas: 10,
      currentReplicas: 3,
    });
    expect(await clusters.hpaFor(workers)).toBeNull();
    expect(await clusters.setHpaMinReplicas(ref, 'loader', 6)).toEqual({ from: 2, to: 6, conflicts: 0 });
    const patch = kube.sim.requests.filter((r) => r.method === 'PATCH').at(-1);
    expect(patch?.headers['content-type']).toContain('application/merge-patch+json');
    kube.sim.tick();
    expect(kube.sim.replicas('StatefulSet', 'team-y', 'loader')).toBe(6);
  });

  it('changes a ConfigMap key and a custom resource field, with readiness from their pods', async () => {
    const spark: WorkloadRef = {
      kind: 'ConfigMap',
      cluster: 'sandbox',
      namespace: 'team-s',
      name: 'spark-settings',
      key: 'executors',
      selector: 'app=spark-executor',
    };
    expect(await clusters.read(spark)).toMatchObject({ replicas: 6, ready: 6, current: 6 });
    expect(await clusters.setReplicas(spark, 10)).toMatchObject({ from: 6, to: 10 });
    expect(kube.sim.get('ConfigMap', 'team-s', 'spark-settings')?.data).toEqual({
      executors: '10',
      memory: '4g',
    });
    expect(await clusters.read(spark)).toMatchObject({ replicas: 10, ready: 6, current: 10 });

    const flink: WorkloadRef = {
      kind: 'Custom',
      cluster: 'sandbox',
      namespace: 'team-f',
      name: 'enrich',
      group: 'flink.apache.org',
      version: 'v1beta1',
      plural: 'flinkdeployments',
      field: 'spec.job.parallelism',
    };
    expect(await clusters.read(flink)).toMatchObject({ replicas: 2, ready: null });
    expect(await clusters.setReplicas(flink, 4)).toMatchObject({ from: 2, to: 4 });
    expect(kube.sim.get('flinkdeployments', 'team-f', 'enrich')?.spec).toEqual({ job: { parallelism: 4 } });
  });

  it('reports why pods are not ready', async () => {
    const tight: WorkloadRef = { kind: 'Deployment', cluster: 'sandbox', namespace: 'team-c', name: 'tight' };
    await clusters.setReplicas(tight, 5);
    kube.sim.tick(5);
    const report = await clusters.pods(tight, 'app=tight');
    expect(report).toMatchObject({ total: 5, ready: 3 });
    expect(report.problems).toEqual([
      { reason: 'Pending: Unschedulable', count: 2, message: expect.stringContaining('Insufficient cpu') },
    ]);
  });

  it('reads Argo CD applications: self-heal and whether /spec/replicas is ignored', async () => {
    const target = { group: 'apps', kind: 'Deployment', pointer: '/spec/replicas' };
    expect(await clusters.argoApplication('sandbox', 'argocd', 'team-z', target)).toEqual({
      name: 'team-z',
      selfHeal: true,
      ignores: false,
    });
    expect(await clusters.argoApplication('sandbox', 'argocd', 'team-q', target)).toEqual({
      name: 'team-q',
      selfHeal: true,
      ignores: true,
    });
    expect(await clusters.argoApplication('sandbox', 'argocd', 'nope', target)).toBeNull();
  });

  it('explains 404, 403 (with the RBAC verb and resource), 500, 401 and an unreachable cluster', async () => {
    await expect(clusters.read({ ...workers, name: 'missing' })).rejects.toThrow(NotFoundError);
    await expect(clusters.read({ ...workers, name: 'missing' })).rejects.toThrow(
      'Deployment team-x/missing does not exist on cluster "sandbox"',
    );

    kube.sim.forbid({ verb: 'update', resource: 'deployments/scale', namespace: 'team-x' });
    const forbidden = await clusters.setReplicas(workers, 2).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(UpstreamError);
    expect((forbidden as UpstreamError).status).toBe(403);
    expect((forbidden as Error).message).toContain(
      'needs the RBAC verb "update" on "deployments/scale" (API group "apps") in namespace "team-x"',
    );
    kube.sim.allowAll();

    kube.sim.server.inject({
      method: 'GET',
      path: /ingest-workers$/,
      status: 500,
      times: 1,
      body: { kind: 'Status', code: 500, message: 'etcdserver: request timed out' },
    });
    await expect(clusters.read(workers)).rejects.toThrow(
      'Kubernetes: cluster "sandbox" answered 500 to get deployments of Deployment team-x/ingest-workers: etcdserver: request timed out',
    );

    await expect(clusters.read({ ...workers, cluster: 'offline' })).rejects.toThrow(
      /Kubernetes: cannot reach cluster "offline" at http:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    await expect(clusters.read({ ...workers, cluster: 'nowhere' })).rejects.toThrow(
      'the kubeconfig has no context "nowhere"',
    );

    const wrongToken = await fetch(
      `${kube.sim.url}/apis/apps/v1/namespaces/team-x/deployments/ingest-workers`,
    );
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('counts and times its calls under system="kubernetes", with the status of a refusal', async () => {
    const metrics = createMetrics();
    try {
      await clusters.read(workers);
      await clusters.read({ ...workers, name: 'missing' }).catch(() => undefined);
      await clusters.read({ ...workers, cluster: 'offline' }).catch(() => undefined);
      const page = await metrics.registry.metrics();
      expect(page).toMatch(/^dpbot_external_calls_total\{system="kubernetes",status="ok"\} [1-9]/m);
      expect(page).toMatch(/^dpbot_external_calls_total\{system="kubernetes",status="404"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_calls_total\{system="kubernetes",status="error"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_call_duration_seconds_count\{system="kubernetes"\} [3-9]/m);
    } finally {
      metrics.close();
    }
  });
});
