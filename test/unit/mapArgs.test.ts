import { describe, expect, it } from 'vitest';
import { mapArgs } from '../../pipeline/mapArgs.ts';

const usage = 'scale <team> <replicas> [--for <duration>] [--reason <text>] [--revert]';
const spec = {
  positionals: ['team', 'replicas'],
  flags: { for: 'string', reason: 'string', revert: 'boolean', 'dry-run': 'boolean' },
} as const;

describe('mapArgs', () => {
  it('fills positionals in order and flags by name', () => {
    expect(mapArgs(['team-x', '8', '--for', '2h', '--reason=late data'], spec, usage)).toEqual({
      team: 'team-x',
      replicas: '8',
      for: '2h',
      reason: 'late data',
    });
  });

  it('accepts positionals as key=value in any order', () => {
    expect(mapArgs(['replicas=8', 'team-x'], spec, usage)).toEqual({ team: 'team-x', replicas: '8' });
    expect(mapArgs(['team=team-x', '8'], spec, usage)).toEqual({ team: 'team-x', replicas: '8' });
  });

  it('reads boolean flags without a value and camel-cases kebab names', () => {
    expect(mapArgs(['team-x', '--revert', '--dry-run'], spec, usage)).toEqual({
      team: 'team-x',
      revert: true,
      dryRun: true,
    });
    expect(mapArgs(['team-x', '--revert=no'], spec, usage)).toEqual({ team: 'team-x', revert: false });
  });

  it('names unknown options and lists the known ones', () => {
    expect(() => mapArgs(['team-x', '--force'], spec, usage)).toThrow(
      'unknown option --force (options: --for, --reason, --revert, --dry-run)',
    );
  });

  it('refuses repeated arguments, missing flag values and extra words', () => {
    expect(() => mapArgs(['team-x', '8', '--for', '1h', '--for', '2h'], spec, usage)).toThrow(
      '--for is given twice',
    );
    expect(() => mapArgs(['team-x', '8', '--for'], spec, usage)).toThrow('--for needs a value');
    expect(() => mapArgs(['team-x', '8', '--for', '--revert'], spec, usage)).toThrow('--for needs a value');
    expect(() => mapArgs(['team-x', '8', '9'], spec, usage)).toThrow('unexpected argument "9"');
  });

  it('collects the rest into an array when the last positional ends in ...', () => {
    expect(mapArgs(['task', 'run'], { positionals: ['topic...'] }, 'help [command]')).toEqual({
      topic: ['task', 'run'],
    });
    expect(mapArgs([], { positionals: ['topic...'] }, 'help [command]')).toEqual({});
  });

  it("gathers free key=value pairs into params with keyValues 'any'", () => {
    expect(
      mapArgs(
        ['backfill', 'dataset=orders', 'from=2026-11-01', 'note=a=b'],
        { positionals: ['task'], keyValues: 'any' },
        'x',
      ),
    ).toEqual({ task: 'backfill', params: { dataset: 'orders', from: '2026-11-01', note: 'a=b' } });
  });
});
