import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesSimulator } from '../../sandbox/kubernetes/kubernetesSimulator.ts';
import { SIMULATED_CLUSTER } from '../config/sandboxProblems.ts';
import { keepState } from './keptState.ts';
import type { SandboxPart } from './sandboxPart.ts';

/**
 * The demo cluster behind the example configuration's teams: team-x (a plain Deployment),
 * team-y (a StatefulSet an HPA manages), team-z (a Deployment Argo CD self-heals), team-spark (a
 * ConfigMap key) and team-flink (a custom resource field). Pods become ready over a few seconds.
 */
export function seedDemoCluster(sim: KubernetesSimulator): KubernetesSimulator {
  return sim
    .addWorkload({
      kind: 'Deployment',
      namespace: 'team-x',
      name: 'ingest-workers',
      replicas: 4,
      capacity: 16,
    })
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
    .addConfigMap({
      namespace: 'team-spark',
      name: 'spark-settings',
      data: { executors: '6', 'executor-memory': '8g' },
      pods: { key: 'executors', labels: { app: 'spark-executor' }, capacity: 10, stuck: 'Unschedulable' },
    })
    .addCustomObject({
      group: 'flink.apache.org',
      version: 'v1beta1',
      plural: 'flinkdeployments',
      kind: 'FlinkDeployment',
      namespace: 'team-flink',
      name: 'enrich',
      spec: { job: { jarURI: 'local:///opt/flink/enrich.jar', parallelism: 2 } },
    });
}

export const kubernetesSandbox: SandboxPart = {
  name: 'Kubernetes',
  system: 'kubernetes',
  async start(context) {
    const sim = seedDemoCluster(new KubernetesSimulator({ autoTickMs: 2000 }));
    // kubernetes.json, read back at start and written within a second of a change (keptState.ts).
    const saveNow = keepState(context.stateDir, 'kubernetes', sim, () => sim.version);
    await sim.start();
    const dir = mkdtempSync(join(tmpdir(), 'dpbot-sandbox-kube-'));
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    try {
      writeFileSync(kubeconfig, sim.kubeconfig([SIMULATED_CLUSTER]), { mode: 0o600 });
    } catch (error) {
      await sim.stop();
      throw error;
    }
    return {
      configure: (config) => {
        config.kubernetes.kubeconfig = kubeconfig;
        // Simulated pods start within seconds; look at them as often.
        config.kubernetes.readinessPollInterval = Math.min(config.kubernetes.readinessPollInterval, 3000);
      },
      stop: async () => {
        await sim.stop();
        saveNow();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
