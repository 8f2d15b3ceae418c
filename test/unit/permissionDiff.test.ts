import { describe, expect, it } from 'vitest';
import {
  type AccessState,
  countChanges,
  type GrantShape,
  permissionDiff,
  permissionDiffIsEmpty,
  permissionDiffLines,
  policiesDiffer,
  policyDigest,
  removalProblem,
} from '../../policies/permissionDiff.ts';

const group = (name: string, actions: string[], resources = ['*']): GrantShape => ({
  subject: { kind: 'group', name },
  actions,
  resources,
});
const user = (email: string, actions: string[], resources = ['*']): GrantShape => ({
  subject: { kind: 'user', email },
  actions,
  resources,
});
const members = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

const oncall = group('file:oncall', ['workers.scale'], ['team:team-x']);
const engineering = group('file:engineering', ['access.read']);
const base: AccessState = {
  grants: [oncall, engineering],
  members: members({
    'file:oncall': ['grace@example.com'],
    'file:engineering': ['ada@example.com', 'grace@example.com'],
  }),
};

describe('permissionDiff', () => {
  it('is empty when nothing changes', () => {
    const d = permissionDiff(base, base);
    expect(permissionDiffIsEmpty(d)).toBe(true);
    expect(d.before).toBe(3);
    expect(d.after).toBe(3);
    expect(permissionDiffLines(d)).toEqual([]);
  });

  it('expands a new group grant to each member, with a group-level line', () => {
    const after = {
      ...base,
      grants: [...base.grants, group('file:engineering', ['workers.read'], ['team:*'])],
    };
    const d = permissionDiff(base, after);
    expect(d.people).toEqual([
      {
        change: 'gain',
        who: 'ada@example.com',
        action: 'workers.read',
        resource: 'team:*',
        via: ['file:engineering'],
      },
      {
        change: 'gain',
        who: 'grace@example.com',
        action: 'workers.read',
        resource: 'team:*',
        via: ['file:engineering'],
      },
    ]);
    expect(d.groups).toEqual([
      {
        change: 'gain',
        who: 'file:engineering',
        action: 'workers.read',
        resource: 'team:*',
        via: ['file:engineering'],
      },
    ]);
    expect(permissionDiffLines(d)).toEqual([
      '+ ada@example.com gains workers.read on team:* (via file:engineering)',
      '+ grace@example.com gains workers.read on team:* (via file:engineering)',
      '+ group file:engineering gains workers.read on team:*',
    ]);
  });

  it('a member leaving a group loses what only that group gave', () => {
    const after = {
      ...base,
      members: members({ 'file:oncall': [], 'file:engineering': ['ada@example.com', 'grace@example.com'] }),
    };
    const d = permissionDiff(base, after);
    expect(d.people).toEqual([
      {
        change: 'loss',
        who: 'grace@example.com',
        action: 'workers.scale',
        resource: 'team:team-x',
        via: ['file:oncall'],
      },
    ]);
    expect(d.groups).toEqual([]);
    expect(countChanges(d)).toEqual({ peopleGaining: 0, peopleLosing: 1, gains: 0, losses: 1 });
  });

  it('a loss through one group that another subject still grants is no loss', () => {
    const before = {
      ...base,
      grants: [...base.grants, user('grace@example.com', ['workers.scale'], ['team:team-x'])],
    };
    const after = { ...before, grants: before.grants.filter((g) => g !== oncall) };
    const d = permissionDiff(before, after);
    expect(d.people).toEqual([]);
    expect(d.groups).toEqual([
      {
        change: 'loss',
        who: 'file:oncall',
        action: 'workers.scale',
        resource: 'team:team-x',
        via: ['file:oncall'],
      },
    ]);
  });

  it('shows gains and losses together, losses first per person, and cuts long lists', () => {
    const after: AccessState = {
      grants: [group('file:oncall', ['release.rollback'], ['service:orders-api']), engineering],
      members: base.members,
    };
    const d = permissionDiff(base, after);
    expect(permissionDiffLines(d, 2)).toEqual([
      '- grace@example.com loses workers.scale on team:team-x (via file:oncall)',
      '+ grace@example.com gains release.rollback on service:orders-api (via file:oncall)',
      '… and 2 more',
    ]);
  });
});

describe('removalProblem', () => {
  const many: AccessState = {
    grants: [engineering],
    members: members({ 'file:engineering': Array.from({ length: 20 }, (_, i) => `p${i}@example.com`) }),
  };
  const without = (n: number): AccessState => ({
    grants: [engineering],
    members: members({ 'file:engineering': Array.from({ length: 20 - n }, (_, i) => `p${i}@example.com`) }),
  });
  it('holds a removal above the share, beyond the allowance', () => {
    expect(
      removalProblem(permissionDiff(many, without(6)), { maxRemovalShare: 0.2, removalAllowance: 5 }),
    ).toBe('it would take away 6 of 20 permissions (30 %), more than the 20 % allowed');
  });
  it('lets small removals through: within the allowance, or within the share', () => {
    expect(
      removalProblem(permissionDiff(many, without(5)), { maxRemovalShare: 0.2, removalAllowance: 5 }),
    ).toBeUndefined();
    expect(
      removalProblem(permissionDiff(many, without(4)), { maxRemovalShare: 0.2, removalAllowance: 0 }),
    ).toBeUndefined();
  });
});

describe('policy digests', () => {
  const stored = { ...engineering, limits: {}, approval: null, origin: 'policies/a.yaml#grants[0]' };
  it('names the exact change, and an origin alone differs only when origins count', () => {
    const moved = { ...stored, origin: 'policies/b.yaml#grants[0]' };
    expect(policyDigest([stored], [moved])).not.toBe(policyDigest([stored], [stored]));
    expect(policiesDiffer([stored], [moved])).toBe(true);
    expect(policiesDiffer([stored], [moved], false)).toBe(false);
    expect(policiesDiffer([stored], [{ ...stored, limits: { maxReplicas: 4 } }], false)).toBe(true);
  });
});
