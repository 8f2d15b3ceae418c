import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseYaml } from '../../bot/config/loadConfig.ts';
import { runCli } from '../support/cli.ts';

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
  const check = await runCli(['--config', configPath, 'config', 'check'], { cwd: dir });
  expect(check.code, check.stderr).toBe(0);
  const policies = await runCli(['--config', configPath, 'policies', 'check', '--offline'], { cwd: dir });
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

describe('dpbot init', () => {
  it('with no terminal and no flags writes the sandbox configuration', async () => {
    const result = await runCli(['init'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const configPath = join(dir, 'dpbot.yaml');
    expect(loadConfig({ path: configPath, env: {} }).config.sandbox).toBe(true);
    await expectValid(configPath);
  });

  it('with flags writes a real configuration that passes validation', async () => {
    const result = await runCli(['init', ...realFlags], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const configPath = join(dir, 'dpbot.yaml');
    await expectValid(configPath);

    const raw = parseYaml(readFileSync(configPath, 'utf8'), configPath);
    expect(raw).toMatchObject({
      sandbox: false,
      argocd: { url: expect.any(String) },
      github: { apiUrl: expect.any(String) },
      release: { services: [{ name: 'orders', repository: 'acme/orders', applications: ['orders-api'] }] },
    });
    const { config } = loadConfig({ path: configPath, env: {} });
    expect(config.teams.map((t) => [t.name, t.targets[0]?.namespace, t.targets[0]?.object])).toEqual([
      ['team-x', 'ingest', 'workers'],
      ['team-y', 'loaders', undefined],
    ]);
    expect(config.argo.url).toBeUndefined();
    expect(config.jira.url).toBeUndefined();
    // Secrets are named, never written.
    expect(readFileSync(configPath, 'utf8')).toContain('SLACK_APP_TOKEN');
    expect(readFileSync(join(dir, 'policies', 'admins.yaml'), 'utf8')).toContain('ops@example.com');
  });

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const configPath = join(dir, 'dpbot.yaml');
    writeFileSync(configPath, 'sandbox: true\n');

    const refused = await runCli(['init', ...realFlags], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(configPath);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(configPath, 'utf8')).toBe('sandbox: true\n');

    const forced = await runCli(['init', ...realFlags, '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(loadConfig({ path: configPath, env: {} }).config.sandbox).toBe(false);
    await expectValid(configPath);
  });

  it('asks the questions with --ask, answered through a piped standard input', async () => {
    // Slack, database, then kubernetes, argo, argocd, github, jira, then teams, repositories,
    // applications and the administrator; an empty line takes the default.
    const answers = [
      'socket',
      '',
      'real',
      '',
      '',
      'real',
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
    expect(config.sandbox).toBe(false);
    expect(config.console.as).toBe('me@example.com');
    expect(config.teams.map((t) => t.name)).toEqual(['team-x']);
    expect(config.release.services.map((s) => [s.repository, s.applications])).toEqual([
      ['acme/orders', ['orders']],
    ]);
  });

  it('rejects a malformed --team with a usage error', async () => {
    const result = await runCli(['init', '--team', 'Team X'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('team=namespace');
  });
});
