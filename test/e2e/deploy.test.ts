import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { buildRegistry } from '../../app/app.ts';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { projectRoot } from '../../core/paths.ts';
import { checkPolicies } from '../../policies/policyFiles.ts';

const root = projectRoot();
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

interface Container {
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  ports: { name: string; containerPort: number }[];
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean };
  volumeMounts: { name: string; mountPath: string }[];
}

// Debian's kubernetes-client package provides kubectl; .ci/run installs it. Without it there is
// nothing to render with, which the skip says.
describe.skipIf(!kubectl)(
  'Kubernetes manifests (kubectl kustomize deploy/kustomize/overlays/example)',
  () => {
    const rendered = kubectl
      ? execFileSync('kubectl', ['kustomize', join(root, 'deploy/kustomize/overlays/example')], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        })
      : '';
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject);
    const one = (kind: string, name?: string) => {
      const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name.startsWith(name)));
      expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
      return found[0] as K8sObject;
    };

    it('renders a Deployment of two non-root replicas with probes, config mounts and secret references', () => {
      const deployment = one('Deployment', 'dpbot');
      const spec = deployment.spec as {
        replicas: number;
        template: {
          spec: Record<string, unknown> & {
            containers: Container[];
            volumes: { name: string; configMap: { name: string } }[];
          };
        };
      };
      expect(deployment.metadata.namespace).toBe('dpbot');
      expect(spec.replicas).toBe(2);
      const pod = spec.template.spec;
      expect(pod.serviceAccountName).toBe('dpbot');
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      const [container] = pod.containers;
      expect(container?.image).toBe('registry.example.com/platform/dpbot:0.1.0');
      expect(container?.args).toEqual(['start']);
      expect(container?.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container?.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container?.ports).toEqual([{ name: 'http', containerPort: 3000 }]);
      expect(container?.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
      // Secrets come from the Secret, never as literal values.
      for (const name of [
        'DATABASE_URL',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'GITHUB_TOKEN',
        'JIRA_API_TOKEN',
        'ARGOCD_TOKEN',
        'ARGO_TOKEN',
      ]) {
        const env = container?.env.find((e) => e.name === name);
        expect(env?.value, name).toBeUndefined();
        expect(env?.valueFrom?.secretKeyRef).toEqual(
          expect.objectContaining({ name: 'dpbot-secrets', key: name }),
        );
      }
      // The volumes point at the generated ConfigMaps, which exist in the output.
      for (const volume of pod.volumes.filter((v) => v.configMap)) {
        expect(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name)).toBe(
          true,
        );
      }
      expect(container?.env.find((e) => e.name === 'DPBOT_CONFIG')?.value).toBe(
        '/etc/dpbot/config/dpbot.yaml',
      );
      expect(container?.volumeMounts.map((m) => m.mountPath)).toEqual(
        expect.arrayContaining(['/etc/dpbot/config', '/etc/dpbot/policies', '/var/lib/dpbot']),
      );
      // The root file system is read-only: the data folder (audit outbox, checkpoints) is a volume.
      const config = parseConfig(
        parseYaml(one('ConfigMap', 'dpbot-config').data?.['dpbot.yaml'] ?? ''),
        'dpbot.yaml',
      );
      expect(config.database.dataDir).toBe('/var/lib/dpbot');
      expect(
        container?.env.find((e) => e.name === 'DPBOT_AUDIT_CHECKPOINT_KEY')?.valueFrom?.secretKeyRef,
      ).toEqual(expect.objectContaining({ name: 'dpbot-secrets', key: 'DPBOT_AUDIT_CHECKPOINT_KEY' }));
    });

    it('renders a Service and a PodDisruptionBudget that select the pods', () => {
      const labels = (
        one('Deployment', 'dpbot').spec as { template: { metadata: { labels: Record<string, string> } } }
      ).template.metadata.labels;
      const service = one('Service', 'dpbot').spec as { selector: Record<string, string> };
      const pdb = one('PodDisruptionBudget', 'dpbot').spec as {
        minAvailable: number;
        selector: { matchLabels: Record<string, string> };
      };
      expect(labels).toMatchObject(service.selector);
      expect(labels).toMatchObject(pdb.selector.matchLabels);
      expect(pdb.minAvailable).toBe(1);
    });

    it('ships a dpbot.yaml and policies that dpbot itself accepts', () => {
      const config = one('ConfigMap', 'dpbot-config').data?.['dpbot.yaml'] ?? '';
      const parsed = parseConfig(parseYaml(config), 'dpbot.yaml');
      expect(parsed.access.policies).toBe('../policies');
      const dir = mkdtempSync(join(tmpdir(), 'dpbot-policies-'));
      try {
        for (const [file, text] of Object.entries(one('ConfigMap', 'dpbot-policies').data ?? {}))
          writeFileSync(join(dir, file), text);
        const check = checkPolicies(dir, buildRegistry().catalog);
        expect(check.errors).toEqual([]);
        expect(check.grants.length).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('renders the monitoring: a ServiceMonitor on the Service, the alert rules and the Grafana dashboard', () => {
      const service = one('Service', 'dpbot') as K8sObject & { spec: { ports: { name: string }[] } };
      const monitor = one('ServiceMonitor', 'dpbot').spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
      expect(service.metadata.labels).toMatchObject(monitor.selector.matchLabels);
      expect(monitor.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
      expect(service.spec.ports.map((p) => p.name)).toContain('http');
      const rule = one('PrometheusRule', 'dpbot');
      expect(rule.metadata.namespace).toBe('dpbot');
      const alerts = (rule.spec as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) =>
        g.rules.map((r) => r.alert),
      );
      expect(alerts).toEqual(
        expect.arrayContaining(['DpbotAckLatencyNearSlackLimit', 'DpbotWatcherStalled']),
      );
      // Grafana's sidecar picks dashboards up by this label; the name stays fixed across versions.
      const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'dpbot-dashboard');
      expect(dashboard?.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      const json = JSON.parse(dashboard?.data?.['dpbot-dashboard.json'] ?? '{}') as {
        uid: string;
        panels: unknown[];
      };
      expect(json.uid).toBe('dpbot');
      expect(json.panels.length).toBeGreaterThan(5);
    });

    it('grants only what scaling needs, in the team namespace, to dpbot’s ServiceAccount', () => {
      const sa = one('ServiceAccount', 'dpbot');
      const role = one('Role', 'dpbot-scaler');
      const binding = one('RoleBinding', 'dpbot-scaler');
      expect(role.metadata.namespace).toBe('team-x');
      expect(binding.metadata.namespace).toBe('team-x');
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'dpbot', namespace: sa.metadata.namespace },
      ]);
      expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'dpbot-scaler' });
      const verbs = new Set(role.rules?.flatMap((r) => r.verbs));
      for (const forbidden of ['*', 'create', 'delete', 'deletecollection', 'escalate', 'bind'])
        expect(verbs.has(forbidden)).toBe(false);
      const writable = role.rules
        ?.filter((r) => r.verbs.some((v) => v === 'update' || v === 'patch'))
        .flatMap((r) => r.resources);
      expect(writable?.sort()).toEqual([
        'deployments/scale',
        'horizontalpodautoscalers',
        'statefulsets/scale',
      ]);
      expect(objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
    });
  },
);

// Emits dist/ as `npm run build` does (same project, same output: with isolatedModules and
// erasableSyntaxOnly each file's JavaScript does not depend on types) without checking types, which
// `tsc --noEmit -p tsconfig.json` already does for the same sources and is most of a clean build's
// time (13 s instead of 50 on a clean clone). `-b` skips the work when dist/ is already the build of
// these sources; a changed source or a missing output rebuilds.
function buildDist(): void {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-b', join(root, 'tsconfig.build.json'), '--noCheck'],
    { cwd: root, stdio: 'pipe' },
  );
}

describe('the container image (deploy/Dockerfile)', () => {
  const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');

  it('is multi-stage, ships production dependencies only, runs as non-root with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev --omit=optional/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(dockerfile).toMatch(
      /^ENTRYPOINT \["node", "--max-semi-space-size=32", "--expose-gc", "--no-flush-bytecode", "dist\/bin\/dpbot\.js"\]$/m,
    );
    expect(dockerfile).toMatch(/^CMD \["start"\]$/m);
    // A pod's file system is new at each start: a compile cache would only be held in memory.
    expect(dockerfile).toMatch(/^\s+NODE_DISABLE_COMPILE_CACHE=1 \\$/m);
    // Every path it copies from the build context exists.
    for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      for (const path of (source ?? '').split(/\s+/)) {
        if (path.includes('*')) continue;
        expect(existsSync(join(root, path)), path).toBe(true);
      }
    }
  });

  it('its entry point, the compiled dist/bin/dpbot.js, runs', () => {
    buildDist();
    const out = execFileSync(
      process.execPath,
      [join(root, 'dist/bin/dpbot.js'), 'config', 'check', '--config', join(root, 'dpbot.example.yaml')],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(out).toBe(`${join(root, 'dpbot.example.yaml')}: OK\n`);
  }, 120_000);

  it('maps the stack traces of its own compiled code to the TypeScript sources, not those of libraries', () => {
    buildDist();
    // Once dpbot has run, asks Node which source maps it holds: one of dpbot's modules, and the
    // Kubernetes client (which ships a map for each of its modules), imported after dpbot's start.
    const probe = [
      "import { findSourceMap } from 'node:module';",
      'let asked = false;',
      "process.on('beforeExit', async () => {",
      '  if (asked) return;',
      '  asked = true;',
      `  const kube = ${JSON.stringify(pathToFileURL(join(root, 'node_modules/@kubernetes/client-node/dist/index.js')).href)};`,
      '  await import(kube);',
      `  const own = findSourceMap(${JSON.stringify(join(root, 'dist/app/cli/index.js'))});`,
      '  const library = findSourceMap(new URL(kube).pathname);',
      "  process.stderr.write(JSON.stringify({ own: own?.payload.sources.some((s) => s.endsWith('index.ts')) ?? false, library: library !== undefined }));",
      '});',
    ].join('\n');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(probe)}`,
        join(root, 'dist/bin/dpbot.js'),
        'config',
        'check',
        '--config',
        join(root, 'dpbot.example.yaml'),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stderr)).toEqual({ own: true, library: false });
  }, 120_000);
});
