import type { App } from '../../app/app.ts';
import type { KubernetesSimulator } from '../../sandbox/kubernetes/kubernetesSimulator.ts';
import { auditRowsOf, typeCommand } from './app.ts';
import type { TestDatabase } from './db.ts';
import { standardPolicies } from './fixture.ts';

/** The clusters' contents the worker tests start from. */
export function seedClusters(sim: KubernetesSimulator): void {
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
    .addWorkload({
      kind: 'Deployment',
      namespace: 'team-z',
      name: 'enricher',
      replicas: 3,
      argo: { app: 'team-z', gitReplicas: 3 },
    })
    .addArgoApplication({ name: 'team-z', selfHeal: true, destinationNamespace: 'team-z' })
    .addWorkload({
      kind: 'Deployment',
      namespace: 'team-q',
      name: 'scorer',
      replicas: 2,
      argo: { app: 'team-q', gitReplicas: 2 },
    })
    .addArgoApplication({
      name: 'team-q',
      selfHeal: true,
      ignoreReplicas: true,
      respectIgnoreDifferences: true,
      destinationNamespace: 'team-q',
    })
    .addWorkload({ kind: 'Deployment', namespace: 'team-t', name: 'crunch', replicas: 3, capacity: 5 })
    .addWorkload({ kind: 'Deployment', namespace: 'team-l', name: 'locked', replicas: 2 })
    .addConfigMap({
      namespace: 'team-s',
      name: 'spark-settings',
      data: { executors: '6' },
      pods: { key: 'executors', labels: { app: 'spark-executor' } },
    })
    .addCustomObject({
      group: 'flink.apache.org',
      version: 'v1beta1',
      plural: 'flinkdeployments',
      kind: 'FlinkDeployment',
      namespace: 'team-s',
      name: 'enrich',
      spec: { job: { parallelism: 2 } },
    });
}

const deployment = (namespace: string, object: string, name = 'workers') => ({
  name,
  cluster: 'sandbox',
  namespace,
  kind: 'Deployment',
  object,
});

export const workerTeams = [
  {
    name: 'team-x',
    minReplicas: 1,
    maxReplicas: 20,
    confirmAbove: 12,
    approval: { above: 18, group: 'file:engineering' },
    targets: [deployment('team-x', 'ingest-workers')],
  },
  {
    name: 'team-y',
    maxReplicas: 12,
    targets: [{ name: 'loader', cluster: 'sandbox', namespace: 'team-y', kind: 'StatefulSet' }],
  },
  { name: 'team-z', maxReplicas: 10, targets: [deployment('team-z', 'enricher')] },
  { name: 'team-q', maxReplicas: 10, targets: [deployment('team-q', 'scorer')] },
  { name: 'team-t', maxReplicas: 10, targets: [deployment('team-t', 'crunch')] },
  {
    name: 'team-m',
    maxReplicas: 10,
    targets: [
      deployment('team-m', 'missing', 'missing'),
      { ...deployment('team-m', 'ingest-workers', 'offline'), cluster: 'offline' },
      deployment('team-l', 'locked', 'locked'),
    ],
  },
  {
    name: 'team-s',
    maxReplicas: 30,
    targets: [
      {
        name: 'executors',
        cluster: 'sandbox',
        namespace: 'team-s',
        kind: 'ConfigMap',
        object: 'spark-settings',
        key: 'executors',
        selector: 'app=spark-executor',
      },
      {
        name: 'flink',
        cluster: 'sandbox',
        namespace: 'team-s',
        kind: 'Custom',
        object: 'enrich',
        apiVersion: 'flink.apache.org/v1beta1',
        resource: 'flinkdeployments',
        field: 'spec.job.parallelism',
      },
    ],
  },
];

export function workersConfig(kubeconfigPath: string, kubernetes: object = {}) {
  return {
    jobs: { pollInterval: '500ms' },
    kubernetes: {
      kubeconfig: kubeconfigPath,
      readinessPollInterval: '500ms',
      readinessTimeout: '30s',
      lockTimeout: '10s',
      argocdNamespace: 'argocd',
      minFor: '1s',
      revertRetryDelay: '1s',
      ...kubernetes,
    },
    teams: workerTeams,
  };
}

export const workersPolicies = {
  'platform.yaml': standardPolicies,
  'workers.yaml': {
    grants: [
      {
        group: 'file:team-x-oncall',
        actions: ['workers.scale'],
        resources: ['team:team-x'],
        limits: { maxReplicas: 10 },
      },
      { group: 'file:engineering', actions: ['workers.read'], resources: ['team:*'] },
    ],
  },
};

export interface AuditRow {
  kind: string;
  decision: string | null;
  outcome: string | null;
  error: string | null;
  email: string | null;
  entry: string;
  action: string | null;
  resource: string | null;
  detail: Record<string, unknown> | null;
}

/** Runs a command as `email` through the pipeline; returns the outcome, replies and audit rows. */
export async function runAs(app: App, database: TestDatabase, text: string, email: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email, channel: 'C-ONCALL' });
  const rows = await auditRowsOf<AuditRow>(
    database,
    requestId,
    'kind, decision, outcome, error, email, entry, action, resource, detail',
  );
  const first = responder.sent[0];
  return { outcome, responder, rows, requestId, text: first?.message.text ?? '', ref: first?.ref };
}
