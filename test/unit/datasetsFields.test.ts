import { describe, expect, it } from 'vitest';
import { datasetsConfigSchema } from '../../handlers/datasets/config.ts';
import { humanDuration } from '../../handlers/datasets/humanDuration.ts';
import { mapDataset, readPath, toDate, toDurationMs } from '../../integrations/datasets/fieldMapping.ts';

const catalog = (fields: Record<string, unknown> = {}, slaUnit = 'seconds') => {
  const parsed = datasetsConfigSchema.parse({
    catalog: { url: 'http://127.0.0.1:1', fields, slaUnit },
  }).catalog;
  if (!parsed) throw new Error('no catalog');
  return parsed;
};

describe('catalog field mapping', () => {
  it('reads dotted paths through objects and arrays', () => {
    const doc = { owner: { email: 'a@x' }, owners: [{ email: 'b@x' }], n: 0 };
    expect(readPath(doc, 'owner.email')).toBe('a@x');
    expect(readPath(doc, 'owners.0.email')).toBe('b@x');
    expect(readPath(doc, 'owners.1.email')).toBeUndefined();
    expect(readPath(doc, 'n.deeper')).toBeUndefined();
    expect(readPath(doc, '')).toBe(doc);
  });

  it('reads SLAs as ISO 8601, as 6h, or as bare numbers in the configured unit', () => {
    expect(toDurationMs('PT6H', 'seconds')).toBe(6 * 3_600_000);
    expect(toDurationMs('P1DT30M', 'seconds')).toBe(24 * 3_600_000 + 30 * 60_000);
    expect(toDurationMs('P1W', 'seconds')).toBe(7 * 24 * 3_600_000);
    expect(toDurationMs('90m', 'seconds')).toBe(90 * 60_000);
    expect(toDurationMs(3600, 'seconds')).toBe(3_600_000);
    expect(toDurationMs('2', 'hours')).toBe(2 * 3_600_000);
    for (const bad of ['P', 'PT', 'soon', -5, 0, null, {}]) expect(toDurationMs(bad, 'seconds')).toBeNull();
  });

  it('reads times as ISO strings or epoch seconds or milliseconds', () => {
    expect(toDate('2026-11-21T10:00:00Z')?.toISOString()).toBe('2026-11-21T10:00:00.000Z');
    expect(toDate(1_795_000_000)?.toISOString()).toBe(new Date(1_795_000_000_000).toISOString());
    expect(toDate(1_795_000_000_000)?.toISOString()).toBe(new Date(1_795_000_000_000).toISOString());
    expect(toDate('yesterday')).toBeNull();
    expect(toDate(null)).toBeNull();
  });

  it('maps an entry through the configured paths, with extra fields and tags in any common shape', () => {
    const config = catalog(
      {
        owner: 'owners.0',
        lastUpdated: 'fresh.at',
        freshnessSla: 'fresh.sla_h',
        tags: 'labels',
        extra: { Tier: 'tier', Columns: 'schema.columns', Missing: 'nope' },
      },
      'hours',
    );
    const mapped = mapDataset(
      {
        name: ' sales.orders ',
        team: 'sales',
        owners: [{ name: 'Ada', email: 'ada@example.com' }],
        description: '',
        fresh: { at: '2026-11-21T10:00:00Z', sla_h: 6 },
        labels: [{ name: 'pii' }, 'gold', 'pii'],
        tier: 1,
        schema: { columns: ['id', 'amount'] },
      },
      config,
    );
    expect(mapped).toEqual({
      name: 'sales.orders',
      team: 'sales',
      owner: 'ada@example.com',
      description: null,
      lastUpdated: new Date('2026-11-21T10:00:00Z'),
      freshnessSlaMs: 6 * 3_600_000,
      tags: ['pii', 'gold'],
      extra: { Tier: '1', Columns: 'id, amount' },
    });
    expect(mapDataset({ tags: 'a, b' }, config)).toBeNull();
    expect(mapDataset({ name: 'x', labels: 'a, b,,c' }, config)?.tags).toEqual(['a', 'b', 'c']);
  });

  it('leaves a field out when its path is empty', () => {
    const mapped = mapDataset({ name: 'x', team: 'sales' }, catalog({ team: '' }));
    expect(mapped?.team).toBeNull();
  });

  it('rejects configuration it cannot use, naming the setting', () => {
    const bad = datasetsConfigSchema.safeParse({
      catalog: { url: 'not a url', pagination: { type: 'offset' }, fields: { owner: 'owner..email' } },
      producers: { 'bad name!': { namespace: 'Data', cronWorkflow: 'x' } },
      quickActions: [
        { label: 'Backfill', command: 'task run backfill', action: 'Tasks Run', resource: 'no colon' },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining([
        'catalog.url',
        'catalog.pagination.type',
        'catalog.fields.owner',
        'producers.bad name!',
        'quickActions.0.action',
        'quickActions.0.resource',
      ]),
    );
  });

  it('says durations the way people read them', () => {
    expect(humanDuration(12_400)).toBe('12s');
    expect(humanDuration(5 * 60_000)).toBe('5m');
    expect(humanDuration(3 * 3_600_000 + 10 * 60_000)).toBe('3h 10m');
    expect(humanDuration(2 * 86_400_000)).toBe('2d');
    expect(humanDuration(2 * 86_400_000 + 4 * 3_600_000 + 59_000)).toBe('2d 4h');
    expect(humanDuration(-5)).toBe('0s');
  });
});
