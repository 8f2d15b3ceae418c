import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { ConfigError } from '../../core/errors.ts';
import { emptyAnswerProblem, guardProblems } from '../../handlers/directory/guards.ts';
import type { DirectoryDiff } from '../../handlers/directory/stores/directoryStore.ts';

function diff(removed: number, before: number, emptiedGroups: string[] = []): DirectoryDiff {
  return {
    source: 's',
    usersAdded: [],
    usersChanged: [],
    usersRemoved: [],
    groupsAdded: [],
    groupsChanged: [],
    groupsRemoved: [],
    membershipsAdded: [],
    membershipsRemoved: Array.from({ length: removed }, (_, i) => [`s:g`, `u${i}@example.com`] as const),
    before: { users: before, groups: 1, memberships: before },
    emptiedGroups,
    written: 0,
  };
}

const settings = { maxRemovalShare: 0.1, removalAllowance: 5 };

describe('directory sync guards', () => {
  it('allows removals up to the share, and small removals whatever the share', () => {
    expect(guardProblems(diff(10, 100), settings, new Set())).toEqual([]);
    expect(guardProblems(diff(5, 6), settings, new Set())).toEqual([]);
    expect(guardProblems(diff(11, 100), settings, new Set())).toEqual([
      'it would remove 11 of 100 memberships (11 %), more than the 10 % allowed',
    ]);
    expect(guardProblems(diff(6, 6), { ...settings, removalAllowance: 0 }, new Set())).toHaveLength(1);
  });

  it('refuses to empty a group that holds grants, and only such groups', () => {
    expect(guardProblems(diff(1, 100, ['s:oncall', 's:other']), settings, new Set(['s:oncall']))).toEqual([
      'it would leave a group that holds grants with no members: s:oncall',
    ]);
    expect(guardProblems(diff(1, 100, ['s:other']), settings, new Set(['s:oncall']))).toEqual([]);
  });

  it('calls an answer with no groups, or no members at all, empty', () => {
    expect(emptyAnswerProblem({ users: [], groups: [] })).toBe('the source returned no groups at all');
    expect(emptyAnswerProblem({ users: [], groups: [{ id: 'a', members: [] }] })).toBe(
      'the source returned 1 group(s) but not one member',
    );
    expect(
      emptyAnswerProblem({ users: [], groups: [{ id: 'a', members: ['x@example.com'] }] }),
    ).toBeUndefined();
  });
});

describe('directory source configuration', () => {
  const problems = (source: object) => {
    try {
      parseConfig({ directory: { sources: [source] } }, 'x.yaml');
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('fills defaults and names what is missing', () => {
    const config = parseConfig(
      { directory: { sources: [{ name: 'gh', type: 'github', org: 'example' }] } },
      'x.yaml',
    );
    expect(config.directory.sources[0]).toMatchObject({
      schedule: '*/15 * * * *',
      timeout: 120_000,
      maxRemovalShare: 0.1,
      apiUrl: 'https://api.github.com',
      emails: 'verified',
      tokenEnv: 'GITHUB_TOKEN',
    });
    expect(problems({ name: 'g', type: 'google' })).toEqual([
      'directory.sources[0].subject: missing: it is required',
    ]);
    expect(problems({ name: 'gh', type: 'github', org: 'example', emails: 'mapping' })).toEqual([
      'directory.sources[0].mapping: set "mapping" (a login → e-mail file) when emails is "mapping" or "both"',
    ]);
    expect(problems({ name: 'f', type: 'file', path: 'x', schedule: 'hourly' })).toEqual([
      'directory.sources[0].schedule: expected a cron expression such as "*/15 * * * *", or "off"',
    ]);
  });
});
