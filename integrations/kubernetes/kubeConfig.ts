import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type RequestContext, type SecurityAuthentication } from '@kubernetes/client-node';
import { ConfigError, errorMessage } from '../../core/errors.ts';

// How dpbot reaches a cluster: which kubeconfig, and one connection pool per TLS identity.

/** The kubeconfig: kubernetes.kubeconfig, else $KUBECONFIG, in-cluster, ~/.kube/config. */
export function loadKubeConfig(options: {
  kubeconfig?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}): { kc: KubeConfig; source: string } {
  const kc = new KubeConfig();
  const fromEnv = options.env.KUBECONFIG?.split(':').find((p) => p.trim() !== '');
  const file = options.kubeconfig ?? fromEnv;
  const setting = options.kubeconfig ? 'kubernetes.kubeconfig' : 'KUBECONFIG';
  try {
    if (file) {
      kc.loadFromFile(file);
      return { kc, source: file };
    }
    if (options.env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      return { kc, source: 'the in-cluster service account' };
    }
    const home = join(homedir(), '.kube', 'config');
    if (existsSync(home)) {
      kc.loadFromFile(home);
      return { kc, source: home };
    }
  } catch (error) {
    throw new ConfigError(setting, [
      `${setting}: cannot load the kubeconfig ${file ?? ''}: ${errorMessage(error)}`,
    ]);
  }
  throw new ConfigError('kubernetes', [
    'kubernetes.kubeconfig: teams are configured but no kubeconfig was found; set kubernetes.kubeconfig or KUBECONFIG, or run inside a cluster (or simulate the cluster: sandbox.kubernetes: true)',
  ]);
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * @kubernetes/client-node 2.x builds a new undici Agent for every request to a cluster with any
 * TLS setting (a CA, a client certificate, insecure-skip-tls-verify), so no connection is ever
 * reused and every API call pays a new TCP and TLS handshake. This wrapper keeps one Agent per
 * TLS identity (server, CA, client certificate and key, as the kubeconfig gives them now, so a
 * rotated certificate gets a new one) and hands it to every request instead.
 */
export function reusingConnections(kc: KubeConfig): SecurityAuthentication {
  const kept = new Map<string, Dispatcher>();
  return {
    getName: () => kc.getName(),
    applySecurityAuthentication: async (context) => {
      await kc.applySecurityAuthentication(context);
      const fresh = context.getDispatcher();
      if (!fresh) return;
      const tls: RequestOptions = {};
      await kc.applyToHTTPSOptions(tls);
      const cluster = kc.getCurrentCluster();
      const key = createHash('sha256')
        .update(
          JSON.stringify([
            cluster?.server,
            cluster?.skipTLSVerify,
            cluster?.tlsServerName,
            String(tls.ca ?? ''),
            String(tls.cert ?? ''),
            String(tls.key ?? ''),
            String(tls.pfx ?? ''),
          ]),
        )
        .digest('hex');
      const reuse = kept.get(key);
      if (!reuse) {
        kept.set(key, fresh);
        return;
      }
      context.setDispatcher(reuse);
      // The Agent built for this request never opened a connection; let it go.
      void fresh.close();
    },
  };
}
