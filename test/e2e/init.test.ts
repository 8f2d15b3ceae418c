import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseYaml } from '../../app/config/loadConfig.ts';
import { projectRoot } from '../../core/paths.ts';
import { KubernetesSimulator } from '../../sandbox/kubernetes/kubernetesSimulator.ts';
import { runCli, runCliHere, runShell } from '../support/cli.ts';
import { createTestDatabase } from '../support/db.ts';
import { codeBlocks, readmeSection } from '../support/readme.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dpbot-init-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** dpbot's own checks of what init wrote: the configuration loads and the policies have no errors. */
async function expectValid(configPath: string): Promise<void> {
  expect(() => loadConfig({ path: configPath, env: {} })).not.toThrow();
  const check = await runCliHere(['--config', configPath, 'config', 'check'], { cwd: dir });
  expect(check.code, check.stderr).toBe(0);
  const policies = await runCliHere(['--config', configPath, 'policies', 'check', '--offline'], { cwd: dir });
  expect(policies.code, policies.stderr).toBe(0);
  expect(policies.stdout).toMatch(/[1-9]\d* valid grant\(s\), 0 error\(s\)/);
}

const realFlags = [
  '--slack',
  'socket',
  '--database',
  'url',
  '--real',
  'kubernetes,github',
  '--real',
  'argocd',
  '--team',
  'team-x=ingest/workers',
  '--team',
  'team-y=loaders',
  '--repo',
  'acme/orders',
  '--app',
  'orders-api',
  '--admin',
  'ops@example.com',
];

/** A copy of this checkout as `git clone` would give it (tracked and new files), sharing node_modules. */
function freshCheckout(into: string): void {
  const root = projectRoot();
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
  })
    .toString()
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(root, f)));
  for (const file of files) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(root, file), join(into, file));
  }
  symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'));
}

describe("the README's path 3, in a fresh checkout", () => {
  it('init runs as written, leaves the identical policy files alone, and its Next lines run as printed', async () => {
    freshCheckout(dir);
    const block = codeBlocks(readmeSection('## Quick start')).find((b) => b.includes('-- init'));
    const init = block
      ?.split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .find((l) => l.includes('-- init'));
    expect(init).toMatch(/^npm run dpbot -- init /);
    const policies = ['platform.yaml', 'release.yaml', 'tasks.yaml', 'workers.yaml'].map((f) =>
      join(dir, 'policies', f),
    );
    const before = policies.map((p) => [readFileSync(p, 'utf8'), statSync(p).mtimeMs]);

    const result = await runShell(init ?? '', dir);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(policies.map((p) => [readFileSync(p, 'utf8'), statSync(p).mtimeMs])).toEqual(before);
    for (const p of policies) expect(result.stdout).toContain(`unchanged ${p}`);
    for (const written of ['dpbot.yaml', 'directory.yaml', join('policies', 'admins.yaml')])
      expect(result.stdout).toContain(`wrote ${join(dir, written)}`);

    const next = result.stdout.slice(result.stdout.indexOf('Next:'));
    const commands = next
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => /^(npm|dpbot) /.test(l));
    expect(commands).toEqual([
      'npm run dpbot -- config check',
      'npm run dpbot -- policies check --offline',
      'npm run dpbot -- doctor',
      'npm start',
    ]);
    // The URLs and tokens to fill in come first; doctor needs them (and would reach out).
    expect(next).toContain('argocd.url');
    expect(next).toContain('GITHUB_TOKEN');
    expect(next).toContain('ARGOCD_TOKEN');
    for (const command of commands.slice(0, 2)) {
      const ran = await runShell(command, dir);
      expect(ran.code, `${command}\n${ran.stdout}\n${ran.stderr}`).toBe(0);
    }

    // Run again, as written: everything is already as init would write it.
    const again = await runShell(init ?? '', dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('wrote ');
  }, 120_000);
});

describe('dpbot init', () => {
  it('with no terminal and no flags writes the sandbox configuration', async () => {
    const result = await runCli(['init'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const configPath = join(dir, 'dpbot.yaml');
    expect(Object.values(loadConfig({ path: configPath, env: {} }).config.sandbox).every(Boolean)).toBe(true);
    await expectValid(configPath);
  });

  it('with flags writes a real configuration that passes validation', async () => {
    const result = await runCli(['init', ...realFlags], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const configPath = join(dir, 'dpbot.yaml');
    await expectValid(configPath);

    const raw = parseYaml(readFileSync(configPath, 'utf8'), configPath);
    // The systems not named real stay simulated, each named in the file.
    expect(raw).toMatchObject({
      sandbox: {
        kubernetes: false,
        argo: true,
        argocd: false,
        github: false,
        jira: true,
        catalog: true,
        directory: true,
      },
      argocd: { url: expect.any(String) },
      github: { apiUrl: expect.any(String) },
      release: { services: [{ name: 'orders', repository: 'acme/orders', applications: ['orders-api'] }] },
    });
    const { config } = loadConfig({ path: configPath, env: {} });
    expect(config.teams.map((t) => [t.name, t.targets[0]?.namespace, t.targets[0]?.object])).toEqual([
      ['team-x', 'ingest', 'workers'],
      ['team-y', 'loaders', undefined],
    ]);
    // Simulated Argo brings the demo tasks; the simulators fill in the URLs at start.
    expect(config.tasks.map((t) => t.name)).toEqual(['backfill', 'reprocess-partition', 'compact-table']);
    expect(config.argo.url).toBeUndefined();
    expect(config.jira.url).toBeUndefined();
    expect(config.directory.sources).toMatchObject([{ name: 'file', type: 'file', path: 'directory.yaml' }]);
    expect(readFileSync(join(dir, 'directory.yaml'), 'utf8')).toContain('ops@example.com');
    // Secrets are named, never written.
    expect(readFileSync(configPath, 'utf8')).toContain('SLACK_APP_TOKEN');
    expect(readFileSync(join(dir, 'policies', 'admins.yaml'), 'utf8')).toContain('ops@example.com');
  });

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const configPath = join(dir, 'dpbot.yaml');
    writeFileSync(configPath, 'sandbox: true\n');

    const refused = await runCliHere(['init', ...realFlags], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(configPath);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(configPath, 'utf8')).toBe('sandbox: true\n');

    const forced = await runCliHere(['init', ...realFlags, '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(loadConfig({ path: configPath, env: {} }).config.sandbox.kubernetes).toBe(false);
    await expectValid(configPath);
  });

  it('asks the questions with --ask, answered through a piped standard input', async () => {
    // Slack, database, then kubernetes, argo, argocd, github, jira, catalog, directory, then the
    // teams (kubernetes is real), repositories and applications (GitHub and Argo CD are) and the
    // administrator; an empty line takes the default.
    const answers = [
      'socket',
      '',
      'real',
      '',
      'real',
      'real',
      '',
      '',
      '',
      'team-x=ingest',
      'acme/orders',
      '',
      'me@example.com',
    ];
    const result = await runCli(['init', '--ask'], { cwd: dir, input: `${answers.join('\n')}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Slack mode, http or socket? [http] socket');
    const configPath = join(dir, 'dpbot.yaml');
    await expectValid(configPath);
    const { config } = loadConfig({ path: configPath, env: {} });
    expect(config.sandbox).toMatchObject({ kubernetes: false, argocd: false, github: false, argo: true });
    expect(config.console.as).toBe('me@example.com');
    expect(config.teams.map((t) => t.name)).toEqual(['team-x']);
    expect(config.release.services.map((s) => [s.repository, s.applications])).toEqual([
      ['acme/orders', ['orders']],
    ]);
  });

  it('refuses real and simulated systems that cannot work together, naming the keys, and writes nothing', async () => {
    const result = await runCliHere(['init', '--real', 'jira'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('these real and simulated systems do not go together (change --real');
    expect(result.stderr).toContain(
      'sandbox.argo, sandbox.jira: argo is simulated and jira is real, but tasks needs both on one side',
    );
    expect(existsSync(join(dir, 'dpbot.yaml'))).toBe(false);

    const repo = await runCliHere(['init', '--real', 'github', '--repo', 'acme/orders'], { cwd: dir });
    expect(repo.code).toBe(2);
    expect(repo.stderr).toContain(
      '--repo acme/orders: argocd is simulated, so the demo data is used; pass --real github,argocd',
    );
  });

  it('writes a configuration that runs: a real cluster, everything else simulated', async () => {
    const result = await runCli(
      ['init', '--real', 'kubernetes', '--team', 'team-x=ingest/workers', '--admin', 'ops@example.com'],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const configPath = join(dir, 'dpbot.yaml');
    await expectValid(configPath);
    // The team's cluster, as init names it ("my-cluster"), played by a simulator with its own token.
    const cluster = new KubernetesSimulator({ token: 'ops-cluster-token' }).addWorkload({
      kind: 'Deployment',
      namespace: 'ingest',
      name: 'workers',
      replicas: 2,
    });
    await cluster.start();
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, cluster.kubeconfig(['my-cluster']), { mode: 0o600 });
    const database = await createTestDatabase();
    try {
      const session = await runCli(['--config', configPath, 'console'], {
        cwd: dir,
        env: { DATABASE_URL: database.url, KUBECONFIG: kubeconfig },
        input: 'workers team-x\ntask list\ndataset sales.orders_daily\n',
        timeoutMs: 120_000,
      });
      expect(session.code, session.stderr).toBe(0);
      expect(session.stdout).toMatch(
        /workers: 2 desired, \d\/2 ready — Deployment ingest\/workers on my-cluster/,
      );
      expect(session.stdout).toContain('backfill');
      expect(session.stdout).toContain('sales.orders_daily');
      expect(cluster.requests.every((r) => r.headers.authorization === 'Bearer ops-cluster-token')).toBe(
        true,
      );
    } finally {
      await cluster.stop();
      await database.drop();
    }
  });

  it('rejects a malformed --team with a usage error', async () => {
    const result = await runCliHere(['init', '--team', 'Team X'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('team=namespace');
  });
});
