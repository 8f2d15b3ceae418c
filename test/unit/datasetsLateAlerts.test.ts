import { describe, expect, it } from 'vitest';
import { backfillRange, dayIn, missingDays } from '../../handlers/datasets/backfillRange.ts';
import { datasetsConfigSchema } from '../../handlers/datasets/config.ts';
import type { DatasetRow } from '../../handlers/datasets/datasetService.ts';
import { evaluateStatus } from '../../handlers/datasets/datasetStatus.ts';
import { backfillCommand } from '../../handlers/datasets/lateAlerts.ts';
import { freshAgainMessage, lateAlertMessage } from '../../handlers/datasets/views.ts';
import type { TaskParameter, TaskRange } from '../../handlers/tasks/parameters.ts';

const names = { from: 'from', to: 'to' };
function task(
  over: { from?: Partial<TaskParameter>; to?: Partial<TaskParameter>; ranges?: TaskRange[] } = {},
) {
  return {
    name: 'backfill',
    parameters: [
      { name: 'dataset', type: 'dataset', required: true },
      { name: 'from', type: 'date', required: true, ...over.from },
      { name: 'to', type: 'date', required: true, ...over.to },
    ] as TaskParameter[],
    ranges: over.ranges ?? [{ from: 'from', to: 'to', maxSpan: '30d' }],
  };
}

describe('the missing days of a late dataset', () => {
  it('run from the day after the last update to today', () => {
    expect(missingDays(new Date('2026-12-03T04:10:00Z'), new Date('2026-12-07T09:00:00Z'), 'UTC')).toEqual({
      from: '2026-12-04',
      to: '2026-12-07',
    });
  });

  it('are counted in the given time zone', () => {
    // 23:30 UTC on the 3rd is already the 4th in Berlin; 23:30 UTC on the 6th is the 7th there.
    const last = new Date('2026-12-03T23:30:00Z');
    const now = new Date('2026-12-06T23:30:00Z');
    expect(missingDays(last, now, 'UTC')).toEqual({ from: '2026-12-04', to: '2026-12-06' });
    expect(missingDays(last, now, 'Europe/Berlin')).toEqual({ from: '2026-12-05', to: '2026-12-07' });
    expect(dayIn(now, 'America/Los_Angeles')).toBe('2026-12-06');
  });

  it('are today when the data was updated earlier today (an hourly SLA)', () => {
    expect(missingDays(new Date('2026-12-07T01:00:00Z'), new Date('2026-12-07T09:00:00Z'), 'UTC')).toEqual({
      from: '2026-12-07',
      to: '2026-12-07',
    });
  });
});

describe('the missing days fitted to the backfill task', () => {
  it('are kept whole when they fit', () => {
    const fitted = backfillRange(task(), names, { from: '2026-12-04', to: '2026-12-07' });
    expect(fitted).toEqual({
      ok: true,
      from: '2026-12-04',
      to: '2026-12-07',
      missing: { from: '2026-12-04', to: '2026-12-07' },
      notes: [],
    });
  });

  it('keep the most recent span the task allows when they are longer than maxSpan, and say so', () => {
    const fitted = backfillRange(task({ ranges: [{ from: 'from', to: 'to', maxSpan: '7d' }] }), names, {
      from: '2026-11-01',
      to: '2026-12-07',
    });
    expect(fitted).toMatchObject({ ok: true, from: '2026-11-30', to: '2026-12-07' });
    if (!fitted.ok) throw new Error('not fitted');
    expect(fitted.notes.join(' ')).toContain('run it again for 2026-11-01 to 2026-11-29');
  });

  it('take exactly maxSpan apart, which the task accepts', () => {
    const fitted = backfillRange(task(), names, { from: '2026-10-01', to: '2026-12-07' });
    expect(fitted).toMatchObject({ ok: true, from: '2026-11-07', to: '2026-12-07' });
  });

  it('stay within the date parameters’ bounds', () => {
    const fitted = backfillRange(task({ from: { min: '2026-12-05' }, to: { max: '2026-12-06' } }), names, {
      from: '2026-12-01',
      to: '2026-12-07',
    });
    expect(fitted).toMatchObject({ ok: true, from: '2026-12-05', to: '2026-12-06' });
    if (!fitted.ok) throw new Error('not fitted');
    expect(fitted.notes).toHaveLength(2);
  });

  it('say so when none of them is a day the task takes', () => {
    const fitted = backfillRange(task({ to: { max: '2026-11-30' } }), names, {
      from: '2026-12-01',
      to: '2026-12-07',
    });
    expect(fitted).toMatchObject({ ok: false });
  });

  it('refuse parameters that are not dates or do not exist', () => {
    expect(
      backfillRange(task(), { from: 'start', to: 'to' }, { from: '2026-12-01', to: '2026-12-02' }),
    ).toMatchObject({ ok: false, problem: expect.stringContaining('no parameter "start"') });
    expect(
      backfillRange(task({ from: { type: 'string' } }), names, { from: '2026-12-01', to: '2026-12-02' }),
    ).toMatchObject({ ok: false, problem: expect.stringContaining('is not a date') });
  });
});

describe('datasets.lateAlerts', () => {
  it('is off by default, with the backfill task and its parameters named', () => {
    const config = datasetsConfigSchema.parse({});
    expect(config.lateAlerts).toMatchObject({
      enabled: false,
      timezone: 'UTC',
      backfill: { task: 'backfill', dataset: 'dataset', from: 'from', to: 'to' },
    });
  });

  it('refuses alerts with nowhere to go, and a time zone that does not exist', () => {
    expect(() => datasetsConfigSchema.parse({ lateAlerts: { enabled: true } })).toThrow(/somewhere to go/);
    expect(() =>
      datasetsConfigSchema.parse({ lateAlerts: { channel: '#data', timezone: 'Mars/Olympus' } }),
    ).toThrow(/IANA time zone/);
  });
});

describe('the late alert message', () => {
  const now = new Date('2026-12-07T09:00:00Z');
  const lastUpdated = new Date('2026-12-04T03:00:00Z');
  const row: DatasetRow = {
    name: 'sales.orders_daily',
    catalog: {
      name: 'sales.orders_daily',
      team: 'sales',
      owner: 'grace@example.com',
      description: null,
      lastUpdated,
      freshnessSlaMs: 30 * 3_600_000,
      tags: [],
      extra: {},
    },
    producerRef: null,
    producer: null,
    status: evaluateStatus({ lastUpdated, freshnessSlaMs: 30 * 3_600_000, producer: null }, now),
  };
  const buttons = (blocks: unknown[] | undefined) =>
    ((blocks ?? []) as { type: string; elements?: { text: { text: string }; value: string }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? [])
      .map((e) => `${e.text.text}: ${e.value}`);

  it('says what is late since when, that no producer is mapped, and offers Backfill', () => {
    const message = lateAlertMessage({
      row,
      now,
      backfillCommand: backfillCommand(row.name, 'backfill'),
    });
    expect(message.text).toContain('Last updated 2026-12-04 03:00 UTC');
    expect(message.text).toContain('freshness SLA 1d 6h');
    expect(message.text).toContain('late since 2026-12-05 09:00 UTC (2d)');
    expect(message.text).toContain('No producer is mapped');
    expect(buttons(message.blocks)).toEqual([
      'Backfill: backfill sales.orders_daily task=backfill',
      'Details: dataset sales.orders_daily',
    ]);
    expect(buttons(lateAlertMessage({ row, now, backfillCommand: null }).blocks)).toEqual([
      'Details: dataset sales.orders_daily',
    ]);
  });

  it('says when the producer is suspended', () => {
    const producer = {
      ref: { namespace: 'data-sales', cronWorkflow: 'orders-daily-refresh' },
      found: true,
      schedules: ['0 2 * * *'],
      timezone: 'UTC',
      suspended: true,
      lastScheduledTime: null,
      active: 0,
      submissionError: null,
      runs: [],
    };
    const message = lateAlertMessage({
      row: { ...row, producerRef: producer.ref, producer },
      now,
      backfillCommand: null,
    });
    expect(message.text).toContain('producer CronWorkflow data-sales/orders-daily-refresh');
    expect(message.text).toContain('Its producer CronWorkflow is suspended');
    expect(message.text).toContain('The producer has no recent runs.');
  });

  it('becomes fresh again without buttons, or says a new alert follows when late again', () => {
    const input = { dataset: row.name, lateSince: lastUpdated, dueAt: row.status.dueAt, freshAt: now };
    const fresh = freshAgainMessage(input);
    expect(fresh.text).toContain('sales.orders_daily is fresh again since 2026-12-07 09:00 UTC');
    expect(buttons(fresh.blocks)).toEqual([]);
    expect(freshAgainMessage({ ...input, lateAgain: true }).text).toContain('but is late again');
  });
});
