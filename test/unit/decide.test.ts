import { describe, expect, it } from 'vitest';
import { decide, type Grant, mayEver } from '../../policies/decide.ts';
import { matchesAction, matchesResource } from '../../policies/patterns.ts';

let nextId = 1;
const grant = (g: Partial<Grant> & Pick<Grant, 'actions'>): Grant => ({
  id: nextId++,
  subject: { kind: 'group', name: 'file:oncall' },
  resources: ['*'],
  limits: {},
  approval: null,
  origin: 'policies/test.yaml#grants[0]',
  ...g,
});

describe('patterns', () => {
  it('matches actions exactly, by prefix wildcard, or everything', () => {
    expect(matchesAction('workers.scale', 'workers.scale')).toBe(true);
    expect(matchesAction('workers.*', 'workers.scale')).toBe(true);
    expect(matchesAction('workers.*', 'workersx.scale')).toBe(false);
    expect(matchesAction('*', 'release.ship')).toBe(true);
    expect(matchesAction('workers.scale', 'workers.read')).toBe(false);
  });

  it('matches resources with * as a wildcard and nothing else special', () => {
    expect(matchesResource('team:*', 'team:team-x')).toBe(true);
    expect(matchesResource('team:team-*', 'team:team-x')).toBe(true);
    expect(matchesResource('team:team-x', 'team:team-xy')).toBe(false);
    expect(matchesResource('dataset:orders.v1', 'dataset:ordersXv1')).toBe(false);
    expect(matchesResource('*', 'anything:at-all')).toBe(true);
  });
});

describe('decide', () => {
  it('denies by default and says what is missing', () => {
    const d = decide([], { action: 'workers.scale', resource: 'team:team-x' });
    expect(d).toEqual({ allowed: false, reason: 'no grant gives workers.scale on team:team-x', grant: null });
  });

  it('allows through a covering grant and returns it', () => {
    const g = grant({ actions: ['workers.scale'], resources: ['team:team-x'] });
    const d = decide([g], { action: 'workers.scale', resource: 'team:team-x' });
    expect(d.allowed).toBe(true);
    expect(d.grant).toEqual({ id: g.id, subject: 'group file:oncall', origin: g.origin });
  });

  it('does not let a grant on one resource cover another', () => {
    const g = grant({ actions: ['workers.scale'], resources: ['team:team-x'] });
    expect(decide([g], { action: 'workers.scale', resource: 'team:team-y' }).allowed).toBe(false);
  });

  it('enforces limits and names the limit in the denial', () => {
    const g = grant({ actions: ['workers.scale'], limits: { maxReplicas: 20 } });
    expect(
      decide([g], { action: 'workers.scale', resource: 'team:a', limits: { maxReplicas: 20 } }).allowed,
    ).toBe(true);
    const d = decide([g], { action: 'workers.scale', resource: 'team:a', limits: { maxReplicas: 30 } });
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain('maxReplicas is 20 and this asks for 30');
    expect(d.reason).toContain('policies/test.yaml#grants[0]');
  });

  it('lets a second grant without the limit allow what the first limits', () => {
    const limited = grant({ actions: ['workers.scale'], limits: { maxReplicas: 5 } });
    const wide = grant({ actions: ['workers.*'] });
    const d = decide([limited, wide], {
      action: 'workers.scale',
      resource: 'team:a',
      limits: { maxReplicas: 50 },
    });
    expect(d.allowed && d.grant.id).toBe(wide.id);
  });

  it('prefers a grant that needs no approval', () => {
    const withApproval = grant({ actions: ['release.ship'], approval: { group: 'file:leads', count: 1 } });
    const plain = grant({ actions: ['release.ship'] });
    const both = decide([withApproval, plain], { action: 'release.ship', resource: 'release:weekly' });
    expect(both.allowed && both.approval).toBeNull();
    const only = decide([withApproval], { action: 'release.ship', resource: 'release:weekly' });
    expect(only.allowed && only.approval).toEqual({ group: 'file:leads', count: 1 });
  });

  it('mayEver ignores resources, for filtering help', () => {
    const g = grant({ actions: ['workers.scale'], resources: ['team:team-x'] });
    expect(mayEver([g], 'workers.scale')).toBe(true);
    expect(mayEver([g], 'release.ship')).toBe(false);
  });
});
