import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import type { ChangesDeps } from '../../handlers/changes/deps.ts';
import { argoCdSource } from '../../handlers/changes/sources.ts';
import {
  type ChangeEntry,
  type ChangeSource,
  mergeTimeline,
  pageOf,
  sinceOf,
  withoutEchoes,
} from '../../handlers/changes/timeline.ts';
import type { Application } from '../../integrations/argocd/argoCdClient.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const at = (iso: string) => new Date(iso);
const entry = (time: string, source: ChangeSource, what: string): ChangeEntry => ({
  at: at(time),
  source,
  who: 'someone',
  what,
});

describe('the changes timeline', () => {
  it('merges every source newest first, equal times in a fixed source order', () => {
    const dpbot = [
      entry('2026-12-07T10:00:00Z', 'dpbot', 'scale'),
      entry('2026-12-07T08:00:00Z', 'dpbot', 'old scale'),
    ];
    const argocd = [
      entry('2026-12-07T11:00:00Z', 'argocd', 'sync'),
      entry('2026-12-07T10:00:00Z', 'argocd', 'same time'),
    ];
    const kube = [entry('2026-12-07T09:00:00Z', 'kubernetes', 'kubectl')];
    const tasks = [entry('2026-12-07T11:30:00Z', 'tasks', 'task run')];
    const merged = mergeTimeline([tasks, kube, argocd, dpbot]);
    expect(merged.map((e) => e.what)).toEqual([
      'task run',
      'sync',
      'scale',
      'same time',
      'kubectl',
      'old scale',
    ]);
    // The order does not depend on the order the sources answered in.
    expect(mergeTimeline([dpbot, argocd, kube, tasks]).map((e) => e.what)).toEqual(merged.map((e) => e.what));
  });

  it('pages the merged timeline, and shows the last page for a page past the end', () => {
    const timeline = mergeTimeline([
      Array.from({ length: 5 }, (_, i) => entry(`2026-12-07T0${i}:00:00Z`, 'dpbot', `change ${i}`)),
    ]);
    const first = pageOf(timeline, 1, 2);
    expect(first).toMatchObject({ page: 1, pages: 3, total: 5, first: 1, pastEnd: false });
    expect(first.entries.map((e) => e.what)).toEqual(['change 4', 'change 3']);
    expect(pageOf(timeline, 3, 2).entries.map((e) => e.what)).toEqual(['change 0']);
    const past = pageOf(timeline, 9, 2);
    expect(past).toMatchObject({ page: 3, pastEnd: true, first: 5 });
    expect(pageOf([], 1, 20)).toMatchObject({ page: 1, pages: 1, total: 0, entries: [] });
  });

  it("leaves out the cluster's unexplained event of a change dpbot recorded, and nothing else", () => {
    const ours = {
      ...entry('2026-12-07T10:00:00Z', 'dpbot', 'scaled 4 → 8'),
      count: { target: 'team-x/workers', to: 8 },
    };
    const echo = {
      ...entry('2026-12-07T10:00:04Z', 'kubernetes', 'Scaled up from 4 to 8'),
      count: { target: 'team-x/workers', to: 8 },
      unexplained: true,
    };
    const explained = { ...echo, what: 'kubectl set 8', unexplained: false };
    const later = { ...echo, at: at('2026-12-07T10:05:00Z'), what: 'an hour later' };
    const other = { ...echo, count: { target: 'team-x/workers', to: 9 }, what: 'another count' };
    const kept = withoutEchoes(mergeTimeline([[ours], [echo, explained, later, other]]));
    expect(kept.map((e) => e.what)).toEqual([
      'an hour later',
      'kubectl set 8',
      'another count',
      'scaled 4 → 8',
    ]);
  });

  it('reads since as a duration or a date, 24 hours by default', () => {
    expect(sinceOf(undefined, NOW, 'usage')).toEqual(at('2026-12-06T12:00:00Z'));
    expect(sinceOf('6h', NOW, 'usage')).toEqual(at('2026-12-07T06:00:00Z'));
    expect(sinceOf('3d', NOW, 'usage')).toEqual(at('2026-12-04T12:00:00Z'));
    expect(sinceOf('2026-12-01', NOW, 'usage')).toEqual(at('2026-12-01T00:00:00Z'));
    expect(sinceOf('2026-12-07T09:30:00Z', NOW, 'usage')).toEqual(at('2026-12-07T09:30:00Z'));
  });

  it('refuses a since that is no time, or one in the future, saying what to write', () => {
    const refusal = (text: string) => {
      try {
        sinceOf(text, NOW, 'changes <team|service> [since=24h]');
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const bad = refusal('yesterday');
    expect(bad).toBeInstanceOf(InputError);
    expect((bad as InputError).message).toBe(
      '"yesterday" is not a time: use a duration such as 7d or 24h, or a date such as 2026-11-01',
    );
    expect((bad as InputError).usage).toBe('changes <team|service> [since=24h]');
    expect((refusal('2027-01-01') as InputError).message).toContain('is in the future');
  });
});

describe("an application's Argo CD history as changes", () => {
  const revision = (c: string) => c.repeat(40);
  const app: Application = {
    status: {
      history: [
        {
          id: 0,
          revision: revision('a'),
          deployedAt: '2026-12-07T08:00:00Z',
          initiatedBy: { username: 'admin' },
        },
        {
          id: 1,
          revision: revision('b'),
          deployedAt: '2026-12-07T09:00:00Z',
          initiatedBy: { automated: true },
        },
        // Older Argo CD versions leave initiatedBy out of the history: the operation says who.
        { id: 2, revision: revision('a'), deployedAt: '2026-12-07T10:00:00Z' },
      ],
      operationState: {
        phase: 'Succeeded',
        startedAt: '2026-12-07T09:59:00Z',
        operation: { initiatedBy: { username: 'carol' }, sync: { revision: revision('a') } },
        syncResult: { revision: revision('a') },
      },
    },
  };
  const deps = {
    config: { teams: [], services: [], argocdUrl: 'https://argocd.example.com/' },
    argocd: { get: async () => app },
  } as unknown as ChangesDeps;

  it('names a sync, an auto-sync and a rollback (a return to an earlier revision), with who and the link', async () => {
    const result = await argoCdSource(deps, ['orders-api'], new Date('2026-12-07T08:30:00Z'));
    expect('entries' in result && result.entries.map((e) => [e.who, e.what])).toEqual([
      ['Argo CD auto-sync', `synced orders-api to bbbbbbb (history 1)`],
      ['carol', `rolled orders-api back to aaaaaaa from bbbbbbb (history 2)`],
    ]);
    expect('entries' in result && result.entries[0]?.link).toEqual({
      url: 'https://argocd.example.com/applications/orders-api',
      label: 'Argo CD: orders-api',
    });
  });
});
