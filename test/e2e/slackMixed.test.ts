import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, loadConfig, parseConfig, parseYaml } from '../../app/config/loadConfig.ts';
import { startSandbox } from '../../app/sandbox/index.ts';
import { seedDemoCluster } from '../../app/sandbox/kubernetesSandbox.ts';
import type { RunningBot } from '../../app/serve.ts';
import { KubernetesSimulator } from '../../sandbox/kubernetes/kubernetesSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { FakeSlack, serveSandboxSlack, slackWithPeople } from '../support/slack.ts';

// One system moved from simulated to real: `sandbox: { kubernetes: false }` with the example
// configuration. The "real" cluster is a simulator started here with its own token, as a team's
// own cluster would be; everything else is the sandbox's.
const NEWCOMER = 'U0NEWCOMER';
const REAL_TOKEN = 'real-cluster-token-0123';

describe('Slack with a real cluster and everything else simulated (sandbox: { kubernetes: false })', () => {
  const sim = slackWithPeople().addUser({ id: NEWCOMER, name: 'nia', email: 'nia@company.test' });
  const cluster = seedDemoCluster(new KubernetesSimulator({ token: REAL_TOKEN }));
  const dir = mkdtempSync(join(tmpdir(), 'dpbot-mixed-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  let database: TestDatabase;
  let bot: RunningBot;
  let slack: FakeSlack;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    await sim.start();
    await cluster.start();
    // The cluster's context is named as the example's teams name theirs.
    writeFileSync(kubeconfig, cluster.kubeconfig(['sandbox']), { mode: 0o600 });
    database = await createTestDatabase();
    const example = loadConfig({ path: exampleConfigPath(), env: {} });
    const raw = parseYaml(readFileSync(exampleConfigPath(), 'utf8'), 'example') as Record<string, unknown>;
    raw.sandbox = { kubernetes: false };
    raw.kubernetes = { ...(raw.kubernetes as object), kubeconfig };
    const config = parseConfig(raw, example.path);
    bot = await serveSandboxSlack({
      loaded: { ...example, config },
      sim,
      database,
      lines,
      // A token of the real GitHub in the shell must not reach the simulated one.
      env: { GITHUB_TOKEN: 'ghp_real_token_from_the_shell' },
      admin: 'nia@company.test',
    });
    slack = new FakeSlack(bot.server.url, sim);
  });
  afterAll(async () => {
    await bot?.stop();
    await database?.drop();
    await cluster.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const note =
    'sandbox: changes go to simulated systems (Argo Workflows, Argo CD, GitHub, Jira, dataset catalog, directory (Google Workspace, GitHub teams) on 127.0.0.1); real: Kubernetes';

  it('says first which systems are simulated and which are real, in the log and in help', async () => {
    expect(lines[0]?.msg).toBe(note);
    const help = await slack.slash('help', NEWCOMER);
    await eventually(() => expect(slack.responses(help.responseId)).toHaveLength(1));
    expect(String(slack.responses(help.responseId)[0]?.text).split('\n')[0]).toBe(note);
  });

  it('scales on the configured cluster, with its own token', async () => {
    const before = cluster.requests.length;
    const scaled = await slack.slash('scale team-x 3 --reason "first real change"', NEWCOMER);
    expect(scaled.status).toBe(200);
    await eventually(
      () => expect(cluster.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(3),
      15_000,
    );
    const seen = cluster.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.headers.authorization === `Bearer ${REAL_TOKEN}`)).toBe(true);
    expect(bot.app.services.config.kubernetes.kubeconfig).toBe(kubeconfig);
  });

  it('sends everything else to the sandbox', async () => {
    const { config } = bot.app.services;
    for (const url of [
      config.argo.url,
      config.argocd.url,
      config.github.apiUrl,
      config.jira.url,
      config.datasets.catalog?.url,
    ])
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(config.argo.url).not.toBe(cluster.url);
    // The simulated catalog's demo datasets answer.
    const datasets = await slack.slash('datasets status=failed', NEWCOMER);
    await eventually(() => expect(slack.responses(datasets.responseId)).toHaveLength(1), 15_000);
    expect(String(slack.responses(datasets.responseId)[0]?.text)).toMatch(/failed/);
    // A release reads the simulated GitHub with the sandbox's token, not the shell's.
    const release = await slack.slash('release start --since 14d', NEWCOMER, 'C0OPS00001');
    expect(release.status).toBe(200);
    await eventually(() => expect(slack.responses(release.responseId)).toHaveLength(1), 20_000);
    expect(String(slack.responses(release.responseId)[0]?.text)).toMatch(
      /^Release #1 started: \d+ pull request\(s\) in 3 service\(s\), read with \d+ GitHub request\(s\)/,
    );
  });
});

describe('startSandbox with one system real', () => {
  it('starts only the simulated systems and leaves the real one as configured', async () => {
    const raw = parseYaml(readFileSync(exampleConfigPath(), 'utf8'), 'example') as Record<string, unknown>;
    raw.sandbox = { argo: false, catalog: false, jira: false };
    raw.argo = { url: 'https://argo.example.com' };
    raw.jira = { url: 'https://example.atlassian.net' };
    raw.datasets = { catalog: { url: 'https://catalog.example.com' } };
    delete (raw.release as Record<string, unknown>).jira;
    const config = parseConfig(raw, 'mixed.yaml');
    const sandbox = await startSandbox(config);
    try {
      expect(sandbox.names).not.toContain('Argo Workflows');
      expect(sandbox.names).not.toContain('dataset catalog');
      expect(sandbox.names).toContain('Kubernetes');
      expect(sandbox.config.argo.url).toBe('https://argo.example.com');
      expect(sandbox.config.jira.url).toBe('https://example.atlassian.net');
      expect(sandbox.config.datasets.catalog?.url).toBe('https://catalog.example.com');
      expect(sandbox.config.github.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
      // The real systems' secrets stay the process's; the simulated ones' are the sandbox's.
      const env = sandbox.envFor({
        ARGO_TOKEN: 'real-argo',
        JIRA_API_TOKEN: 'real-jira',
        GITHUB_TOKEN: 'real-gh',
      });
      expect(env.ARGO_TOKEN).toBe('real-argo');
      expect(env.JIRA_API_TOKEN).toBe('real-jira');
      expect(env.GITHUB_TOKEN).toBe('sandbox-github-token');
    } finally {
      await sandbox.stop();
    }
  });
});
