import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { ConfigError } from '../../core/errors.ts';
import { findTask } from '../../handlers/tasks/catalog.ts';
import {
  checkRanges,
  checkValue,
  sampleValue,
  type TaskParameter,
  validateParameters,
} from '../../handlers/tasks/parameters.ts';

const p = (over: Partial<TaskParameter> & Pick<TaskParameter, 'type'>): TaskParameter => ({
  name: 'x',
  required: true,
  ...over,
});

describe('task parameter types', () => {
  it.each<[TaskParameter, string, string]>([
    [
      p({ type: 'string' }),
      `$(rm -rf /); echo "a" | tee 'b' && \`id\``,
      `$(rm -rf /); echo "a" | tee 'b' && \`id\``,
    ],
    [p({ type: 'int', min: 1, max: 10 }), '007', '7'],
    [p({ type: 'bool' }), 'Yes', 'true'],
    [p({ type: 'bool' }), 'no', 'false'],
    [p({ type: 'date', min: '2026-01-01' }), '2026-11-01', '2026-11-01'],
    [p({ type: 'duration', min: '1h', max: '7d' }), '2h', '2h'],
    [p({ type: 'enum', values: ['append', 'overwrite'] }), 'overwrite', 'overwrite'],
    [p({ type: 'dataset' }), 'billing.invoices_v2', 'billing.invoices_v2'],
    [p({ type: 'team', values: ['team-x'] }), 'team-x', 'team-x'],
  ])('%o accepts %s as %s', (param, raw, value) => {
    expect(checkValue(param, raw)).toEqual({ ok: true, value });
  });

  it.each<[TaskParameter, string, string]>([
    [p({ type: 'string' }), 'a\nb', 'control character'],
    [p({ type: 'string' }), 'tab\there', 'control character'],
    [p({ type: 'string' }), 'x'.repeat(201), 'is 201 characters long; at most 200'],
    [p({ type: 'string', maxLength: 5 }), 'toolong', 'at most 5'],
    [
      p({ type: 'string', pattern: '[a-z]+', example: 'abc' }),
      'abc; rm',
      'is not in the form x takes; for example abc',
    ],
    [p({ type: 'string' }), '{{workflow.name}}', 'Argo would read as an expression'],
    [p({ type: 'int', min: 1, max: 10 }), '11', 'at most 10'],
    [p({ type: 'int' }), '1.5', 'whole number'],
    [p({ type: 'int' }), '1e3', 'whole number'],
    [p({ type: 'bool' }), 'maybe', 'true or false'],
    [p({ type: 'date' }), '2026-02-30', 'YYYY-MM-DD'],
    [p({ type: 'date', max: '2026-12-31' }), '2027-01-01', '2026-12-31 or earlier'],
    [p({ type: 'duration', min: '1d' }), '5m', 'at least 1d'],
    [p({ type: 'duration' }), 'soon', 'duration'],
    [p({ type: 'enum', values: ['a', 'b'] }), 'c', 'one of a, b'],
    [p({ type: 'dataset' }), 'Orders; DROP TABLE x', 'dataset name'],
    [p({ type: 'dataset' }), '../etc/passwd', 'dataset name'],
    [p({ type: 'team' }), 'team x', 'team name'],
    [p({ type: 'team', values: ['team-x'] }), 'team-y', 'one of team-x'],
  ])('%o refuses %j (%s)', (param, raw, problem) => {
    const checked = checkValue(param, raw);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.problem).toContain(problem);
  });

  it('reports unknown names, bad values and missing parameters together, and fills defaults', () => {
    const params: TaskParameter[] = [
      p({ name: 'dataset', type: 'dataset' }),
      p({ name: 'from', type: 'date' }),
      p({ name: 'mode', type: 'enum', values: ['append'], required: false, default: 'append' }),
      p({ name: 'note', type: 'string', required: false }),
    ];
    const result = validateParameters(params, { dataset: 'orders', from: 'yesterday', colour: 'red' });
    expect(result.problems).toEqual([
      'colour: there is no such parameter (parameters: dataset, from, mode, note)',
      'from: must be a date such as 2026-11-01 (YYYY-MM-DD)',
    ]);
    expect(result.values).toEqual({ dataset: 'orders', mode: 'append' });
    expect(validateParameters(params, { dataset: 'orders' }).missing.map((m) => m.name)).toEqual(['from']);
  });
});

describe('task configuration', () => {
  const problems = (tasks: unknown): string[] => {
    try {
      parseConfig({ tasks }, 'test.yaml');
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('accepts a task and fills its defaults', () => {
    const config = parseConfig(
      {
        tasks: [
          {
            name: 'backfill',
            description: 'Backfill',
            workflowTemplate: 'backfill',
            parameters: [
              { name: 'from', type: 'date' },
              { name: 'priority', type: 'int', default: 5, min: 1, max: 10 },
            ],
          },
        ],
      },
      'x',
    );
    const task = config.tasks[0];
    expect(task).toMatchObject({
      action: 'tasks.run',
      resource: 'task:backfill',
      confirm: false,
      template: { kind: 'WorkflowTemplate', name: 'backfill' },
    });
    expect(task?.parameters.map((q) => [q.name, q.required, q.default])).toEqual([
      ['from', true, undefined],
      ['priority', false, '5'],
    ]);
    expect(parseConfig({ tasks: null }, 'x').tasks).toEqual([]);
  });

  it('reports every mistake with its path', () => {
    expect(
      problems([
        {
          name: 'Bad Name',
          description: 'x',
          workflowTemplate: 'a',
          clusterWorkflowTemplate: 'b',
          parameters: [
            { name: 'ticket', type: 'string' },
            { name: 'mode', type: 'enum' },
            { name: 'n', type: 'int', min: 'one', default: 'x' },
            { name: 'day', type: 'date', default: '2026-02-30' },
            { name: 'p', type: 'string', pattern: '([' },
          ],
          resource: 'team:{team}',
        },
        { name: 'dup', description: 'x', workflowTemplate: 'a' },
        { name: 'dup', description: 'y' },
      ]),
    ).toEqual([
      'tasks[0].name: expected a task name such as "backfill" (lower-case, digits, -)',
      'tasks[0].parameters[0].name: "ticket" is reserved by task run (ticket=<JIRA-KEY>); rename the parameter',
      'tasks[0].parameters[1].values: an enum parameter needs its values',
      'tasks[0].parameters[2].min: expected an integer',
      'tasks[0].parameters[3].default: the default must be a date such as 2026-11-01 (YYYY-MM-DD)',
      expect.stringMatching(/^tasks\[0\]\.parameters\[4\]\.pattern: not a valid regular expression/),
      'tasks[0].workflowTemplate: set exactly one of workflowTemplate or clusterWorkflowTemplate',
      'tasks[0].resource: {team} must name a required (or defaulted) dataset, team or enum parameter',
      'tasks[2].workflowTemplate: set exactly one of workflowTemplate or clusterWorkflowTemplate',
      'tasks[2].name: "dup" is defined twice',
    ]);
  });

  it('checks ranges and catalogDown as declared, and ranges against values', () => {
    const task = (over: object) => ({
      name: 'backfill',
      description: 'x',
      workflowTemplate: 'backfill',
      parameters: [
        { name: 'from', type: 'date' },
        { name: 'to', type: 'date' },
        { name: 'n', type: 'int' },
        { name: 'note', type: 'string', catalogDown: 'allow' },
      ],
      ...over,
    });
    expect(
      problems([
        task({
          ranges: [
            { from: 'from', to: 'nope' },
            { from: 'from', to: 'n' },
            { from: 'from', to: 'to', maxSpan: 'a month' },
          ],
        }),
      ]),
    ).toEqual([
      'tasks[0].parameters[3].catalogDown: catalogDown is for dataset parameters only',
      'tasks[0].ranges[0]: from and to must name parameters of the task (from, nope)',
      'tasks[0].ranges[1]: from and n must both be dates, both ints or both durations',
      'tasks[0].ranges[2]: maxSpan must be a duration such as 31d',
    ]);
    const parameters: TaskParameter[] = [
      { name: 'from', type: 'date', required: true },
      { name: 'to', type: 'date', required: true },
      { name: 'lo', type: 'int', required: true },
      { name: 'hi', type: 'int', required: true },
    ];
    const ranges = [
      { from: 'from', to: 'to', maxSpan: '7d' },
      { from: 'lo', to: 'hi', maxSpan: 5 },
    ];
    expect(
      checkRanges(parameters, ranges, { from: '2026-11-01', to: '2026-11-08', lo: '1', hi: '6' }),
    ).toEqual([]);
    expect(
      checkRanges(parameters, ranges, { from: '2026-11-02', to: '2026-11-01', lo: '1', hi: '7' }),
    ).toEqual([
      'from (2026-11-02) comes after to (2026-11-01); give the range in order',
      'lo 1 to hi 7 is 6 apart; this task takes at most 5 at once, so split it into several runs',
    ]);
    // A value missing is the missing check's to report.
    expect(checkRanges(parameters, ranges, { from: '2026-11-02' })).toEqual([]);
  });

  it("offers and accepts the configuration's teams for a team parameter without values of its own", () => {
    const target = { name: 'workers', kind: 'Deployment', cluster: 'c', namespace: 'n' };
    const config = parseConfig(
      {
        teams: [
          { name: 'team-x', maxReplicas: 5, targets: [target] },
          { name: 'team-y', maxReplicas: 5, targets: [target] },
        ],
        tasks: [
          {
            name: 'compact',
            description: 'x',
            workflowTemplate: 'compact',
            parameters: [
              { name: 'team', type: 'team' },
              { name: 'owner', type: 'team', values: ['data-platform'] },
            ],
          },
        ],
      },
      'x',
    );
    const task = findTask(config, 'compact');
    expect(task.parameters.map((q) => q.values)).toEqual([['team-x', 'team-y'], ['data-platform']]);
    expect(validateParameters(task.parameters, { team: 'team-z', owner: 'data-platform' }).problems).toEqual([
      'team: must be one of team-x, team-y',
    ]);
  });
});

describe('sample values (dpbot doctor submits a dry run with them)', () => {
  const p = (over: Partial<TaskParameter>): TaskParameter => ({
    name: 'x',
    type: 'string',
    required: true,
    ...over,
  });

  it('are values the parameter accepts: its default, first choice, lower bound or example', () => {
    const cases: [TaskParameter, string][] = [
      [p({ type: 'enum', values: ['append', 'overwrite'] }), 'append'],
      [p({ type: 'int', min: 3, max: 9 }), '3'],
      [p({ type: 'int', max: -2 }), '-2'],
      [p({ type: 'date', min: '2026-05-01' }), '2026-05-01'],
      [p({ type: 'duration', max: '30m' }), '30m'],
      [p({ type: 'bool' }), 'false'],
      [p({ type: 'team', values: ['team-y'] }), 'team-y'],
      [p({ type: 'dataset' }), 'doctor_check'],
      [p({ pattern: '\\d{4}-\\d{2}', example: '2026-11' }), '2026-11'],
      [p({ type: 'int', default: '7' }), '7'],
    ];
    for (const [parameter, value] of cases) {
      expect(sampleValue(parameter)).toBe(value);
      expect(checkValue(parameter, value)).toEqual({ ok: true, value });
    }
  });

  it('are undefined when nothing passes a pattern (no example given)', () => {
    expect(sampleValue(p({ pattern: '[A-Z]{3}-\\d+' }))).toBeUndefined();
  });
});
