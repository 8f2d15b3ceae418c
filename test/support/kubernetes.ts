import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubernetesSimulator,
  type KubernetesSimulatorOptions,
} from '../../sandbox/kubernetes/kubernetesSimulator.ts';

export interface RunningKubernetes {
  sim: KubernetesSimulator;
  /** A kubeconfig with the contexts pointing at the simulator, and `offline` at a closed port. */
  kubeconfigPath: string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on (bound, then released), for "cluster unreachable". */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a Kubernetes simulator and writes a kubeconfig for it (plus an unreachable `offline` context). */
export async function startKubernetes(
  seed: (sim: KubernetesSimulator) => void,
  options: KubernetesSimulatorOptions & { contexts?: string[] } = {},
): Promise<RunningKubernetes> {
  const sim = new KubernetesSimulator(options);
  seed(sim);
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'dpbot-kube-'));
  const port = await closedPort();
  const offline = [
    'clusters:',
    '  - name: offline',
    '    cluster:',
    `      server: http://127.0.0.1:${port}`,
    '      insecure-skip-tls-verify: true',
  ];
  // Splice an unreachable cluster, user and context into the simulator's kubeconfig.
  const text = sim
    .kubeconfig(options.contexts ?? ['sandbox'])
    .replace('clusters:\n', `${offline.join('\n')}\n`)
    .replace('users:\n', 'users:\n  - name: offline-dpbot\n    user:\n      token: nothing\n')
    .replace(
      'contexts:\n',
      'contexts:\n  - name: offline\n    context:\n      cluster: offline\n      user: offline-dpbot\n',
    );
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  writeFileSync(kubeconfigPath, text);
  return {
    sim,
    kubeconfigPath,
    stop: async () => {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
