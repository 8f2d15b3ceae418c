import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import type { Services } from '../../app/services.ts';
import { ConfigError } from '../../core/errors.ts';
import { categorize, parseConventionalTitle, readableTitle } from '../../handlers/release/categorize.ts';
import { defaultCategories } from '../../handlers/release/config.ts';
import { extractJiraKeys } from '../../handlers/release/jiraKeys.ts';
import { matchesPath, touchesService } from '../../handlers/release/paths.ts';
import { planWaves } from '../../handlers/release/planWaves.ts';
import type { Application } from '../../integrations/argocd/argoCdClient.ts';
import { assess, previousDeployment } from '../../integrations/argocd/assess.ts';

describe('Jira keys in pull requests', () => {
  it('finds keys in titles, branches and bodies, each once, in that order', () => {
    expect(
      extractJiraKeys({
        title: '[DATA-12] fix totals',
        branch: 'fix/PLAT-7-totals',
        body: 'Closes DATA-12 and relates to OPS-300. See https://acme.atlassian.net/browse/OPS-301',
      }),
    ).toEqual(['DATA-12', 'PLAT-7', 'OPS-300', 'OPS-301']);
  });

  it('ignores encodings, standards, hashes and code, and keys glued to other words', () => {
    expect(
      extractJiraKeys({
        title: 'Read UTF-8 files, ISO-8601 dates and SHA-256 sums',
        body: 'Run `make DATA-1` first.\n```\nERROR-42 in log\n```\nnotDATA-3 x-DATA-4',
      }),
    ).toEqual([]);
  });

  it('with configured projects, counts only those and reads lower-case branch names', () => {
    const projects = ['DATA'];
    expect(extractJiraKeys({ title: 'OPS-1 and DATA-2', branch: 'feature/data-77-retry' }, projects)).toEqual(
      ['DATA-2', 'DATA-77'],
    );
    expect(extractJiraKeys({ title: 'no key here', branch: 'feature/retry-3' }, projects)).toEqual([]);
  });
});

describe('categories', () => {
  it('parses conventional-commit titles', () => {
    expect(parseConventionalTitle('feat(api)!: drop v1')).toEqual({
      type: 'feat',
      scope: 'api',
      breaking: true,
      subject: 'drop v1',
    });
    expect(parseConventionalTitle('Fix the thing')).toBeNull();
  });

  it('prefers labels, then breaking, then the type, then other', () => {
    const c = (title: string, labels: string[] = []) => categorize({ title, labels }, defaultCategories).name;
    expect(c('fix: x', ['enhancement'])).toBe('feature');
    expect(c('feat!: drop v1')).toBe('breaking');
    expect(c('perf: faster')).toBe('performance');
    expect(c('chore(deps): bump')).toBe('maintenance');
    expect(c('Update the README')).toBe('other');
    expect(c('whatever', ['Security'])).toBe('security');
  });

  it('writes titles for readers outside engineering', () => {
    expect(readableTitle('feat(api): [DATA-12] add CSV export (#41)')).toBe('Add CSV export');
    expect(readableTitle('DATA-9: speed up exports')).toBe('Speed up exports');
    expect(readableTitle('Plain title')).toBe('Plain title');
  });
});

describe('monorepo paths', () => {
  it('matches folder prefixes and globs', () => {
    expect(matchesPath('services/orders/api.ts', 'services/orders')).toBe(true);
    expect(matchesPath('services/orders-v2/api.ts', 'services/orders')).toBe(false);
    expect(matchesPath('services/a/api/x/y.ts', 'services/*/api/**')).toBe(true);
    expect(matchesPath('services/a/b/api/y.ts', 'services/*/api/**')).toBe(false);
    expect(matchesPath('db/migrations/001.sql', '**/*.sql')).toBe(true);
    expect(touchesService(['README.md'], [])).toBe(true);
    expect(touchesService(['README.md'], ['services/orders/'])).toBe(false);
  });

  it('takes brace sets, character classes and folders given as globs', () => {
    const sets = 'services/{orders,billing}/**';
    expect(matchesPath('services/orders/api.ts', sets)).toBe(true);
    expect(matchesPath('services/billing/a/b.ts', sets)).toBe(true);
    expect(matchesPath('services/ordersx/api.ts', sets)).toBe(false);
    expect(matchesPath('services/orders/api.ts', 'services/{orders,billing}/')).toBe(true);
    expect(matchesPath('migrations/0042_add.sql', 'migrations/[0-9][0-9][0-9][0-9]_*.sql')).toBe(true);
    expect(matchesPath('migrations/v042_add.sql', 'migrations/[0-9][0-9][0-9][0-9]_*.sql')).toBe(false);
    expect(matchesPath('.github/workflows/ci.yml', '**/*.yml')).toBe(true);
  });

  it('leaves out files a negated pattern names, in any order', () => {
    const paths = ['!services/orders/docs/**', 'services/orders/'];
    expect(touchesService(['services/orders/docs/intro.md'], paths)).toBe(false);
    expect(touchesService(['services/orders/docs/intro.md', 'services/orders/api.ts'], paths)).toBe(true);
    expect(touchesService(['README.md'], ['!**/*.md'])).toBe(false);
    expect(touchesService(['services/ingest/main.go'], ['!**/*.md'])).toBe(true);
    const service = { name: 'x', repository: 'acme/x', applications: ['x'], owners: ['grace@example.com'] };
    expect(() => parseConfig({ release: { services: [{ ...service, paths: ['!'] }] } }, 'x')).toThrow(
      ConfigError,
    );
  });
});

describe('release configuration', () => {
  const service = {
    name: 'orders-api',
    repository: 'acme/orders',
    applications: ['orders-api'],
    owners: ['grace@example.com'],
  };

  it('takes defaults and validates services, owners and waves with paths', () => {
    const config = parseConfig({ release: { services: [service] } }, 'x');
    expect(config.release.services[0]).toMatchObject({
      branch: 'main',
      paths: [],
      external: false,
      stakeholders: [],
    });
    expect(config.release.settleTime).toBe(120_000);
    expect(config.release.categories.map((c) => c.name)).toContain('feature');
    let problems: string[] = [];
    try {
      parseConfig(
        {
          release: {
            services: [service, { ...service, owners: ['not an owner'], repository: 'nope' }],
          },
        },
        'x',
      );
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        'release.services[1].repository: expected owner/name, such as acme/orders',
        expect.stringMatching(/^release\.services\[1\]\.owners\[0\]: expected a Slack user id/),
      ]),
    );
    // Cross-checks run once every service is valid on its own.
    problems = [];
    try {
      parseConfig({ release: { services: [service, service], waves: [['orders-api', 'ghost']] } }, 'x');
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([
      'release.services[1].name: "orders-api" is used twice',
      'release.waves[0][1]: no service is named "ghost"',
    ]);
  });

  it('takes Jira defaults, and says what a Jira setting should look like', () => {
    expect(parseConfig({}, 'x').release.jira).toEqual({
      versionName: 'release-{date}-{id}',
      concurrency: 4,
      retries: 3,
      retryDelay: 1000,
      maxRetryWait: 60_000,
    });
    let problems: string[] = [];
    try {
      parseConfig({ release: { jira: { project: 'data', concurrency: 0, retryDelay: 'soon' } } }, 'x');
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([
      'release.jira.project: expected a Jira project key such as DATA',
      'release.jira.concurrency: expected an integer from 1 to 10',
      'release.jira.retryDelay: expected a duration such as 90s, 10m, 2h or 1d, got "soon"',
    ]);
  });

  it('plans configured waves first, then one service at a time', () => {
    const config = parseConfig(
      {
        release: {
          services: [
            { ...service, name: 'a', applications: ['a1', 'a2'] },
            { ...service, name: 'b', applications: ['b1'] },
            { ...service, name: 'c', applications: ['c1'] },
            { ...service, name: 'd', applications: ['d1'] },
          ],
          waves: [['c', 'b']],
        },
      },
      'x',
    );
    const services = { config } as unknown as Services;
    const plan = planWaves(services, ['a', 'b', 'c'], new Map([['a', 'sha-a']]));
    expect(plan.map((p) => `${p.wave}:${p.application}`)).toEqual(['1:c1', '1:b1', '2:a1', '2:a2']);
    expect(plan.find((p) => p.application === 'a1')?.revision).toBe('sha-a');
  });
});

describe('when an Argo CD sync is done', () => {
  const requestedAt = new Date('2026-11-18T10:00:00Z');
  const base = (
    over: Partial<NonNullable<Application['status']>> = {},
    operation?: Record<string, unknown>,
  ): Application => ({
    metadata: { name: 'orders-api' },
    spec: {},
    ...(operation ? { operation } : {}),
    status: {
      sync: { status: 'Synced', revision: 'abc' },
      health: { status: 'Healthy' },
      reconciledAt: '2026-11-18T10:01:05Z',
      operationState: {
        phase: 'Succeeded',
        startedAt: '2026-11-18T10:00:01Z',
        finishedAt: '2026-11-18T10:01:00Z',
        syncResult: { revision: 'abc' },
      },
      ...over,
    },
  });
  const expected = { revision: 'abc', kind: 'sync' as const, requestedAt };

  it('is healthy only when finished, succeeded, reconciled after, the right revision, Synced and Healthy', () => {
    expect(assess(base(), expected).state).toBe('healthy');
    expect(assess(base({}, { sync: {} }), expected).state).toBe('running');
    expect(assess(base({ reconciledAt: '2026-11-18T10:00:30Z' }), expected)).toEqual({
      state: 'running',
      detail: 'waiting for Argo CD to compare the app after the sync',
    });
    expect(
      assess(base({ operationState: { phase: 'Running', startedAt: '2026-11-18T10:00:01Z' } }), expected)
        .state,
    ).toBe('running');
    expect(assess(base({ sync: { status: 'OutOfSync' } }), expected).state).toBe('progressing');
    expect(assess(base({ health: { status: 'Progressing' } }), expected).state).toBe('progressing');
    expect(assess(base({ health: { status: 'Degraded', message: 'crash loop' } }), expected)).toEqual({
      state: 'degraded',
      detail: 'Degraded: crash loop',
    });
    expect(
      assess(
        base({
          operationState: {
            phase: 'Succeeded',
            startedAt: '2026-11-18T10:00:01Z',
            finishedAt: '2026-11-18T10:01:00Z',
            syncResult: { revision: 'zzz' },
          },
        }),
        expected,
      ).state,
    ).toBe('failed');
    expect(
      assess(
        base({
          operationState: { phase: 'Failed', message: 'hook failed', startedAt: '2026-11-18T10:00:01Z' },
        }),
        expected,
      ),
    ).toEqual({
      state: 'failed',
      detail: 'operation Failed: hook failed',
    });
    // An operation state from before the request is an earlier operation's.
    expect(
      assess(
        base({
          operationState: {
            phase: 'Succeeded',
            startedAt: '2026-11-17T10:00:00Z',
            finishedAt: '2026-11-17T10:01:00Z',
          },
        }),
        expected,
      ).state,
    ).toBe('running');
    // After a rollback the app is OutOfSync by design.
    expect(assess(base({ sync: { status: 'OutOfSync' } }), { ...expected, kind: 'rollback' }).state).toBe(
      'healthy',
    );
  });

  it('finds the deployment before the current one, skipping repeats of the same revision', () => {
    const app = base({
      history: [
        { id: 4, revision: 'c' },
        { id: 2, revision: 'a' },
        { id: 3, revision: 'c' },
        { id: 1, revision: 'z' },
      ],
    });
    expect(previousDeployment(app)).toEqual({ id: 2, revision: 'a' });
    expect(previousDeployment(base({ history: [{ id: 1, revision: 'a' }] }))).toBeUndefined();
  });
});
