import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { ConfigError, UpstreamError } from '../../core/errors.ts';
import { kubernetesFromConfig } from '../../integrations/kubernetes/kubernetes.ts';
import { createFixture } from '../support/fixture.ts';

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const target = { name: 'workers', cluster: 'prod', namespace: 'team-x', kind: 'Deployment' };

describe('teams and kubernetes configuration', () => {
  it('takes the defaults, and an empty teams key means no teams', () => {
    const config = parseConfig({ teams: null }, 'x');
    expect(config.teams).toEqual([]);
    expect(config.kubernetes).toMatchObject({
      requestTimeout: 10_000,
      conflictRetries: 5,
      readinessTimeout: 600_000,
      argoSelfHeal: 'refuse',
      offerHpaMinReplicas: true,
      minFor: 300_000,
      maxFor: 604_800_000,
    });
    const team = parseConfig({ teams: [{ name: 'team-x', maxReplicas: 5, targets: [target] }] }, 'x')
      .teams[0];
    expect(team).toMatchObject({ minReplicas: 0, maxReplicas: 5 });
  });

  it('reports every problem with its path', () => {
    expect(
      problems({
        kubernetes: { argoSelfHeal: 'ignore', readinessTimeout: 'forever' },
        teams: [
          { name: 'Team X', maxReplicas: 5, targets: [target] },
          { name: 'team-y', minReplicas: 6, maxReplicas: 5, targets: [target, target] },
          { name: 'team-y', maxReplicas: 5, targets: [] },
          { name: 'team-c', maxReplicas: 5, targets: [{ ...target, kind: 'Pod' }] },
          {
            name: 'team-f',
            maxReplicas: 5,
            targets: [
              { ...target, kind: 'Custom', apiVersion: 'v1', resource: 'FlinkDeployments', field: 'spec..x' },
            ],
          },
          { name: 'team-m', maxReplicas: 5, targets: [{ ...target, kind: 'ConfigMap' }] },
        ],
      }),
    ).toEqual([
      'kubernetes.readinessTimeout: expected a duration such as 90s, 10m, 2h or 1d, got "forever"',
      'kubernetes.argoSelfHeal: expected one of "refuse", "warn"',
      'teams[0].name: expected a lower-case name such as "team-x"',
      'teams[1].minReplicas: must not exceed maxReplicas (5)',
      'teams[1].targets[1].name: "workers" is used by another target',
      'teams[2].targets: expected at least 1 item(s)',
      'teams[3].targets[0].kind: expected one of "Deployment", "StatefulSet", "ConfigMap", "Custom"',
      'teams[4].targets[0].apiVersion: expected group/version, e.g. flink.apache.org/v1beta1',
      'teams[4].targets[0].resource: expected a plural resource name such as flinkdeployments',
      'teams[4].targets[0].field: expected a dotted field path such as spec.job.parallelism',
      'teams[5].targets[0].key: missing: it is required',
    ]);
    expect(
      problems({
        teams: [
          { name: 'team-a', maxReplicas: 5, targets: [target] },
          { name: 'team-a', maxReplicas: 5, targets: [target] },
        ],
      }),
    ).toEqual(['teams[1].name: "team-a" is used by another team']);
  });

  it('checks every target cluster against the kubeconfig when the clusters are first needed', async () => {
    const fixture = createFixture();
    try {
      const kubeconfig = fixture.write(
        'kubeconfig.yaml',
        'apiVersion: v1\nkind: Config\nclusters:\n  - name: prod\n    cluster:\n      server: https://127.0.0.1:6443\nusers:\n  - name: bot\n    user:\n      token: x\ncontexts:\n  - name: prod\n    context:\n      cluster: prod\n      user: bot\n',
      );
      const config = parseConfig(
        {
          kubernetes: { kubeconfig },
          teams: [
            {
              name: 'team-x',
              maxReplicas: 5,
              targets: [target, { ...target, name: 'other', cluster: 'staging' }],
            },
          ],
        },
        'x',
      );
      const deps = { env: {}, resolvePath: (p: string) => p, log: pino({ level: 'silent' }) };
      const lazy = kubernetesFromConfig(config, deps);
      await expect(lazy?.load()).rejects.toThrow(
        'teams[0].targets[1].cluster: "staging" is not a context of the kubeconfig (it has prod)',
      );
      // In a command, the same problem is an upstream failure the caller can read.
      await expect(
        lazy?.read({ kind: 'Deployment', cluster: 'prod', namespace: 'team-x', name: 'workers' }),
      ).rejects.toThrow(UpstreamError);
      expect(kubernetesFromConfig(parseConfig({}, 'x'), deps)).toBeUndefined();
      const missing = kubernetesFromConfig(
        parseConfig(
          {
            kubernetes: { kubeconfig: `${kubeconfig}.nope` },
            teams: [{ name: 'team-x', maxReplicas: 5, targets: [target] }],
          },
          'x',
        ),
        deps,
      );
      await expect(missing?.load()).rejects.toThrow(/kubernetes\.kubeconfig: cannot load the kubeconfig/);
    } finally {
      fixture.remove();
    }
  });
});
