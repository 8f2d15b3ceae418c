import { describe, expect, it } from 'vitest';
import { compareByProblem, evaluateStatus, type StatusInput } from '../../handlers/datasets/datasetStatus.ts';
import type { CronRun, ProducerState } from '../../handlers/datasets/types.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR);

function run(phase: CronRun['phase'], startedHoursAgo: number, tookHours = 0.5): CronRun {
  const startedAt = at(startedHoursAgo);
  const finished =
    phase === 'Running' || phase === 'Pending' ? null : new Date(startedAt.getTime() + tookHours * HOUR);
  return { name: `wf-${phase}-${startedHoursAgo}`, phase, startedAt, finishedAt: finished, message: null };
}

function producer(runs: CronRun[], extra: Partial<ProducerState> = {}): ProducerState {
  return {
    ref: { namespace: 'data-sales', cronWorkflow: 'orders-refresh' },
    found: true,
    schedules: ['0 2 * * *'],
    timezone: null,
    suspended: false,
    lastScheduledTime: runs[0]?.startedAt ?? null,
    active: 0,
    submissionError: null,
    runs,
    ...extra,
  };
}

const input = (over: Partial<StatusInput>): StatusInput => ({
  lastUpdated: null,
  freshnessSlaMs: null,
  producer: null,
  ...over,
});

describe('dataset status', () => {
  it('is ok within the SLA, and says when it becomes due', () => {
    const s = evaluateStatus(input({ lastUpdated: at(2), freshnessSlaMs: 6 * HOUR }), NOW);
    expect(s).toMatchObject({ code: 'ok', cause: 'within-sla', lateByMs: null });
    expect(s.dueAt?.toISOString()).toBe('2026-11-21T16:00:00.000Z');
  });

  it('is late past the SLA, by how much', () => {
    const s = evaluateStatus(input({ lastUpdated: at(9), freshnessSlaMs: 6 * HOUR }), NOW);
    expect(s).toMatchObject({ code: 'late', cause: 'past-sla', lateByMs: 3 * HOUR });
  });

  it('is exactly at the SLA boundary still ok', () => {
    expect(evaluateStatus(input({ lastUpdated: at(6), freshnessSlaMs: 6 * HOUR }), NOW).code).toBe('ok');
  });

  it('failed outranks late: the newest finished run failed', () => {
    const s = evaluateStatus(
      input({
        lastUpdated: at(30),
        freshnessSlaMs: 24 * HOUR,
        producer: producer([run('Failed', 5), run('Succeeded', 29)]),
      }),
      NOW,
    );
    expect(s).toMatchObject({ code: 'failed', cause: 'run-failed', lateByMs: 6 * HOUR });
    expect(s.lastFinished?.name).toBe('wf-Failed-5');
  });

  it('an Error phase is a failure too', () => {
    const s = evaluateStatus(input({ producer: producer([run('Error', 1)]) }), NOW);
    expect(s).toMatchObject({ code: 'failed', cause: 'run-failed' });
  });

  it('a failure followed by a success is ok again', () => {
    const s = evaluateStatus(
      input({
        lastUpdated: at(1),
        freshnessSlaMs: 6 * HOUR,
        producer: producer([run('Succeeded', 2), run('Failed', 3)]),
      }),
      NOW,
    );
    expect(s.code).toBe('ok');
  });

  it('a run in progress after a failure keeps it failed, and says a run is in progress', () => {
    const s = evaluateStatus(
      input({ producer: producer([run('Running', 0.2), run('Failed', 1)], { active: 1 }) }),
      NOW,
    );
    expect(s).toMatchObject({ code: 'failed', running: true });
    expect(s.lastFinished?.phase).toBe('Failed');
  });

  it('a CronWorkflow that cannot submit runs is failed even when the data is still fresh', () => {
    const s = evaluateStatus(
      input({
        lastUpdated: at(1),
        freshnessSlaMs: 6 * HOUR,
        producer: producer([run('Succeeded', 2)], { submissionError: 'workflowtemplates "x" not found' }),
      }),
      NOW,
    );
    expect(s).toMatchObject({ code: 'failed', cause: 'submission-error', lateByMs: null });
  });

  it('without a catalog time, the newest successful run is when it was last updated', () => {
    const s = evaluateStatus(
      input({ freshnessSlaMs: 6 * HOUR, producer: producer([run('Running', 0.1), run('Succeeded', 10, 1)]) }),
      NOW,
    );
    expect(s.freshAt?.toISOString()).toBe(at(9).toISOString());
    expect(s).toMatchObject({ code: 'late', lateByMs: 3 * HOUR, running: true });
  });

  it('the catalog time wins over the runs when both are known', () => {
    const s = evaluateStatus(
      input({ lastUpdated: at(1), freshnessSlaMs: 6 * HOUR, producer: producer([run('Succeeded', 10)]) }),
      NOW,
    );
    expect(s.freshAt?.toISOString()).toBe(at(1).toISOString());
    expect(s.code).toBe('ok');
  });

  it('with no SLA, a successful last run is ok', () => {
    const s = evaluateStatus(input({ lastUpdated: at(100), producer: producer([run('Succeeded', 3)]) }), NOW);
    expect(s).toMatchObject({ code: 'ok', cause: 'last-run-succeeded', dueAt: null });
  });

  it('is unknown with nothing to judge by, or when the mapped CronWorkflow does not exist', () => {
    expect(evaluateStatus(input({}), NOW)).toMatchObject({ code: 'unknown', cause: 'no-information' });
    expect(evaluateStatus(input({ freshnessSlaMs: HOUR }), NOW)).toMatchObject({ code: 'unknown' });
    expect(evaluateStatus(input({ producer: producer([], { found: false }) }), NOW)).toMatchObject({
      code: 'unknown',
      cause: 'producer-missing',
    });
    // Only a run in progress, never finished: nothing to judge by yet.
    expect(
      evaluateStatus(input({ producer: producer([run('Running', 0.1)], { active: 1 }) }), NOW),
    ).toMatchObject({
      code: 'unknown',
      running: true,
    });
  });

  it('sorts problems first: failed, late (latest first), unknown, ok, then by name', () => {
    const row = (name: string, over: Partial<StatusInput>) => ({
      name,
      status: evaluateStatus(input(over), NOW),
    });
    const rows = [
      row('a.ok', { lastUpdated: at(1), freshnessSlaMs: 6 * HOUR }),
      row('b.unknown', {}),
      row('c.late-a-bit', { lastUpdated: at(7), freshnessSlaMs: 6 * HOUR }),
      row('d.failed', { producer: producer([run('Failed', 1)]) }),
      row('e.late-a-lot', { lastUpdated: at(30), freshnessSlaMs: 6 * HOUR }),
      row('f.ok', { lastUpdated: at(2), freshnessSlaMs: 6 * HOUR }),
    ];
    expect(rows.sort(compareByProblem).map((r) => r.name)).toEqual([
      'd.failed',
      'e.late-a-lot',
      'c.late-a-bit',
      'b.unknown',
      'a.ok',
      'f.ok',
    ]);
  });
});
