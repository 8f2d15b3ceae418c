import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleConfigPath, parseConfig, parseYaml } from '../../app/config/loadConfig.ts';
import { sandboxStateDir } from '../../app/sandbox/index.ts';
import { ConfigError } from '../../core/errors.ts';

/** The example configuration (demo teams, tasks, datasets, release services) with `sandbox` replaced. */
function example(sandbox: unknown, change: (raw: Record<string, unknown>) => void = () => {}): unknown {
  const raw = parseYaml(readFileSync(exampleConfigPath(), 'utf8'), 'example') as Record<string, unknown>;
  raw.sandbox = sandbox;
  change(raw);
  return raw;
}

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, 'dpbot.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const section = (raw: Record<string, unknown>, key: string) => raw[key] as Record<string, unknown>;

describe('sandbox: everything, nothing, or one system at a time', () => {
  it('reads true as every system simulated and false as none', () => {
    const all = parseConfig({ sandbox: true }, 'x').sandbox;
    expect(Object.values(all).every(Boolean)).toBe(true);
    expect(Object.keys(all).sort()).toEqual(
      ['argo', 'argocd', 'catalog', 'directory', 'github', 'jira', 'kubernetes'].sort(),
    );
    expect(Object.values(parseConfig({ sandbox: false }, 'x').sandbox).some(Boolean)).toBe(false);
    expect(Object.values(parseConfig({}, 'x').sandbox).some(Boolean)).toBe(false);
  });

  it('takes a system left out of the object form as simulated', () => {
    expect(parseConfig({ sandbox: { github: false } }, 'x').sandbox).toEqual({
      kubernetes: true,
      argo: true,
      argocd: true,
      github: false,
      jira: true,
      catalog: true,
      directory: true,
    });
  });

  it('names an unknown system or a value that is not true or false', () => {
    expect(problems({ sandbox: { gitlab: false } })).toEqual(["sandbox: unknown key 'gitlab'"]);
    expect(problems({ sandbox: 'yes' })[0]).toMatch(
      /^sandbox: expected true, false, or an object of kubernetes/,
    );
  });

  it('accepts the example with everything simulated, and with a real cluster', () => {
    expect(problems(example(true))).toEqual([]);
    expect(problems(example({ kubernetes: false }))).toEqual([]);
    expect(problems(example({ catalog: false, argo: false }))).toEqual([]);
  });

  it('refuses a real GitHub with a simulated Argo CD while release.services is set, and the reverse', () => {
    const [realGithub] = problems(example({ github: false }, (r) => delete section(r, 'release').jira));
    expect(realGithub).toBe(
      "sandbox.github, sandbox.argocd: github is real and argocd is simulated, but release.services needs both on one side: a release compares what Argo CD deploys with GitHub's commits and ships those commits, and the simulated one has only the demo repositories and revisions. Make both real or both simulated, or leave release.services out",
    );
    expect(
      problems(
        example({ argocd: false }, (r) => {
          r.argocd = { url: 'https://argocd.example.com' };
        }),
      )[0],
    ).toMatch(/^sandbox\.github, sandbox\.argocd: github is simulated and argocd is real/);
    // With no release services there is nothing to tie them.
    expect(problems(example({ github: false }, (r) => delete r.release))).toEqual([]);
  });

  it('refuses GitHub and Jira of different kinds when a release sets fix versions', () => {
    const found = problems(
      example({ github: false, argocd: false }, (r) => (r.argocd = { url: 'https://cd.example' })),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^sandbox\.github, sandbox\.jira: .* release\.jira\.project needs both on one side/,
    );
  });

  it('refuses Argo and Jira of different kinds when tasks are configured', () => {
    const found = problems(
      example({ jira: false, github: false, argocd: false }, (r) => {
        r.jira = { url: 'https://example.atlassian.net' };
        r.argocd = { url: 'https://cd.example' };
      }),
    );
    expect(
      found.some((p) => p.startsWith('sandbox.argo, sandbox.jira:') && p.includes('but tasks needs')),
    ).toBe(true);
    // A real Jira that is not configured is not in use: nothing to tie.
    expect(
      problems(
        example(
          { jira: false, github: false, argocd: false },
          (r) => (r.argocd = { url: 'https://cd.example' }),
        ),
      ),
    ).toEqual([]);
  });

  it('refuses a real catalog with simulated producers while datasets.producers is set', () => {
    expect(problems(example({ catalog: false }))).toEqual([
      "sandbox.catalog, sandbox.argo: catalog is real and argo is simulated, but datasets.producers needs both on one side: datasets.producers names the Argo CronWorkflows that produce the catalog's datasets, and the simulated side has only the demo ones. Make both real or both simulated, or leave datasets.producers out",
    ]);
    expect(problems(example({ catalog: false }, (r) => delete section(r, 'datasets').producers))).toEqual([]);
  });

  it('refuses real directory sources while the directory is simulated, naming the source', () => {
    const withSources = (sandbox: unknown) =>
      example(sandbox, (r) => {
        section(r, 'directory').sources = [
          { name: 'file', type: 'file', path: 'sandbox/directory.yaml' },
          { name: 'corp', type: 'google', subject: 'admin@example.com' },
          { name: 'github', type: 'file', path: 'x.yaml' },
        ];
      });
    expect(problems(withSources(true))).toEqual([
      'directory.sources[1]: a google source reads the real Google Workspace, but sandbox.directory is simulated (the sandbox brings its own google and github sources); set sandbox.directory: false to use yours',
      'directory.sources[2].name: "github" is the name of a simulated source while sandbox.directory is simulated; rename this source',
    ]);
    expect(problems(withSources({ directory: false }))).toEqual([]);
  });

  it('refuses a team on a cluster the simulated Kubernetes does not have', () => {
    const found = problems(
      example(true, (r) => {
        r.teams = [
          {
            name: 'team-p',
            maxReplicas: 10,
            targets: [{ name: 'w', cluster: 'prod', namespace: 'p', kind: 'Deployment' }],
          },
        ];
      }),
    );
    expect(found).toEqual([
      'teams[0].targets[0].cluster: "prod" is not a cluster of the simulated Kubernetes (its one context is "sandbox"); set sandbox.kubernetes: false to use your clusters, or cluster: sandbox',
    ]);
  });
});

describe('where the simulated cluster keeps its state across restarts', () => {
  const loaded = {
    config: parseConfig({ sandbox: true, database: { dataDir: 'data' } }, 'x'),
    path: '/srv/dpbot/dpbot.yaml',
    baseDir: '/srv/dpbot',
    isExample: false,
  };

  it('beside the embedded database, or in a folder of the external database its records are in', () => {
    expect(sandboxStateDir(loaded, {})).toBe('/srv/dpbot/data/sandbox');
    const a = sandboxStateDir(loaded, { DATABASE_URL: 'postgres://dpbot@db-a/dpbot' });
    const b = sandboxStateDir(loaded, { DATABASE_URL: 'postgres://dpbot@db-b/dpbot' });
    expect(a).toMatch(/^\/srv\/dpbot\/data\/sandbox\/[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(sandboxStateDir(loaded, { DATABASE_URL: 'postgres://dpbot@db-a/dpbot' })).toBe(a);
  });
});
