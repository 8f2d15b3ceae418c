import { z } from 'zod';
import { parseDuration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';
import { ACTION_PATTERN, RESOURCE_PATTERN } from '../../policies/patterns.ts';
import { TEAM_NAME } from '../scaling/config.ts';
import { checkValue, isCalendarDate, parameterTypes, type TaskParameter } from './parameters.ts';

/** A task's name, as typed after `task run`. */
export const TASK_NAME = /^[a-z][a-z0-9-]{0,40}$/;
/** Parameter names: what goes before `=` on the command line and into the Argo parameter. */
const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
/** Kubernetes object and namespace names (RFC 1123 labels/subdomains). */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** `key=value` names the `task run` command keeps for itself. */
export const RESERVED_PARAMETERS = ['ticket'] as const;
/** Parameters whose accepted values are safe inside a resource name (`team:{team}`). */
const RESOURCE_SAFE_TYPES = new Set(['dataset', 'team', 'enum']);
/** Parameter types whose values are ordered, so that two of them can make a range. */
const RANGE_TYPES = new Set(['date', 'int', 'duration']);

const k8sName = (what: string) =>
  z
    .string()
    .max(253)
    .regex(K8S_NAME, { error: `expected a Kubernetes ${what} name (lower-case letters, digits, - and .)` });

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const parameterSchema = z
  .strictObject({
    name: z.string().regex(PARAMETER_NAME, {
      error: 'expected a parameter name: a letter, then letters, digits, _ or -',
    }),
    type: z.enum(parameterTypes).default('string'),
    /** Shown in the form; defaults to the name. */
    label: z.string().min(1).max(200).optional(),
    description: z.string().max(500).optional(),
    required: z.boolean().optional(),
    default: scalar.optional(),
    pattern: z.string().min(1).max(500).optional(),
    /** A value that matches `pattern`, shown when a value does not (instead of the expression). */
    example: z.string().min(1).max(200).optional(),
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    maxLength: integer({ min: 1, max: 1900 }).optional(),
    // Past 100 (the most a Slack select holds) the form asks for the value as text instead.
    values: z.array(z.string().min(1).max(75)).min(1).max(1000).optional(),
    /**
     * A dataset parameter's value must be in the dataset catalog; when the catalog cannot be read,
     * `refuse` (the default) submits nothing and says so, `allow` submits unchecked and says that.
     */
    catalogDown: z.enum(['refuse', 'allow']).optional(),
  })
  .superRefine((p, ctx) => {
    const problem = (message: string, path: string) =>
      ctx.addIssue({ code: 'custom', message, path: [path] });
    if ((RESERVED_PARAMETERS as readonly string[]).includes(p.name))
      problem(`"${p.name}" is reserved by task run (ticket=<JIRA-KEY>); rename the parameter`, 'name');
    if (p.type === 'enum' && !p.values) problem('an enum parameter needs its values', 'values');
    if (p.values && p.type !== 'enum' && p.type !== 'team')
      problem('values are for enum and team parameters only', 'values');
    if (p.type === 'team')
      for (const v of p.values ?? []) if (!TEAM_NAME.test(v)) problem(`"${v}" is not a team name`, 'values');
    if (p.pattern !== undefined) {
      if (!['string', 'dataset', 'team'].includes(p.type))
        problem('pattern is for string, dataset and team parameters only', 'pattern');
      try {
        new RegExp(p.pattern, 'u');
      } catch (error) {
        problem(`not a valid regular expression: ${String(error)}`, 'pattern');
      }
    }
    if (p.catalogDown !== undefined && p.type !== 'dataset')
      problem('catalogDown is for dataset parameters only', 'catalogDown');
    if (p.maxLength !== undefined && p.type !== 'string')
      problem('maxLength is for string parameters only', 'maxLength');
    for (const key of ['min', 'max'] as const) {
      const bound = p[key];
      if (bound === undefined) continue;
      const ok =
        p.type === 'int'
          ? typeof bound === 'number' && Number.isInteger(bound)
          : p.type === 'date'
            ? typeof bound === 'string' && isCalendarDate(bound)
            : p.type === 'duration'
              ? typeof bound === 'string' && parseDuration(bound) !== undefined
              : false;
      if (!ok)
        problem(
          ['int', 'date', 'duration'].includes(p.type)
            ? `expected ${p.type === 'int' ? 'an integer' : p.type === 'date' ? 'a date such as 2026-01-01' : 'a duration such as 1d'}`
            : `${key} is for int, date and duration parameters only`,
          key,
        );
    }
  })
  .transform((p): TaskParameter => ({ ...p, required: p.required ?? p.default === undefined }))
  .superRefine((p, ctx) => {
    if (p.default === undefined) return;
    const checked = checkValue(p, p.default);
    if (!checked.ok)
      ctx.addIssue({ code: 'custom', message: `the default ${checked.problem}`, path: ['default'] });
  });

const rangeSchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  maxSpan: z.union([z.string(), z.number()]).optional(),
});

/** Why a range cannot be checked as declared: its parameters, their types, its span. */
function rangeProblem(
  r: z.output<typeof rangeSchema>,
  parameters: readonly TaskParameter[],
): string | undefined {
  const from = parameters.find((p) => p.name === r.from);
  const to = parameters.find((p) => p.name === r.to);
  if (!from || !to) return `from and to must name parameters of the task (${r.from}, ${r.to})`;
  if (from.type !== to.type || !RANGE_TYPES.has(from.type))
    return `${r.from} and ${r.to} must both be dates, both ints or both durations`;
  if (r.maxSpan === undefined) return undefined;
  const ok =
    from.type === 'int' ? typeof r.maxSpan === 'number' : parseDuration(String(r.maxSpan)) !== undefined;
  return ok ? undefined : `maxSpan must be ${from.type === 'int' ? 'a number' : 'a duration such as 31d'}`;
}

export const taskSchema = z
  .strictObject({
    name: z
      .string()
      .regex(TASK_NAME, { error: 'expected a task name such as "backfill" (lower-case, digits, -)' }),
    description: z.string().min(1).max(300),
    /** The WorkflowTemplate to submit from (namespaced) ... */
    workflowTemplate: k8sName('WorkflowTemplate').optional(),
    /** ... or the ClusterWorkflowTemplate. */
    clusterWorkflowTemplate: k8sName('ClusterWorkflowTemplate').optional(),
    /** Where the workflow runs; default `argo.namespace`. */
    namespace: k8sName('namespace').max(63).optional(),
    // The form has a block per parameter and Slack allows 100 per modal; 30 leaves room and reads.
    parameters: z.array(parameterSchema).max(30).default([]),
    /**
     * Pairs of parameters that make a range: `from` may not come after `to`, and with `maxSpan`
     * they may be at most that far apart (a duration for dates and durations, a number for ints).
     */
    ranges: z.array(rangeSchema).max(10).default([]),
    /** What the caller must be granted, on `resource`; defaults: tasks.run on task:<name>. */
    action: z
      .string()
      .regex(ACTION_PATTERN)
      .refine((a) => !a.includes('*'), 'expected an action, not a pattern')
      .optional(),
    /** May name parameters of type dataset, team or enum: `team:{team}`. */
    resource: z.string().max(200).optional(),
    /** Ask Confirm / Cancel before submitting. */
    confirm: z.boolean().default(false),
    /** Two-person rule: this many members of the group (not the requester) approve before it runs. */
    approval: z
      .strictObject({ group: z.string().min(1), count: integer({ min: 1, max: 5 }).default(1) })
      .optional(),
    /** Open a Jira ticket for each run when no ticket=<KEY> is given. */
    jira: z
      .strictObject({
        project: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]{0,9}$/, { error: 'expected a Jira project key such as DP' }),
        issueType: z.string().min(1).default('Task'),
      })
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (!t.workflowTemplate === !t.clusterWorkflowTemplate)
      ctx.addIssue({
        code: 'custom',
        message: 'set exactly one of workflowTemplate or clusterWorkflowTemplate',
        path: ['workflowTemplate'],
      });
    const names = new Set<string>();
    t.parameters.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({
          code: 'custom',
          message: `"${p.name}" is defined twice`,
          path: ['parameters', i, 'name'],
        });
      names.add(p.name);
    });
    t.ranges.forEach((r, i) => {
      const problem = rangeProblem(r, t.parameters);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['ranges', i] });
    });
    if (t.resource !== undefined) {
      const byName = new Map(t.parameters.map((p) => [p.name, p]));
      let shape = t.resource;
      for (const [, name] of t.resource.matchAll(/\{([^}]*)\}/g)) {
        const p = byName.get(name ?? '');
        if (!p || !RESOURCE_SAFE_TYPES.has(p.type) || (!p.required && p.default === undefined)) {
          ctx.addIssue({
            code: 'custom',
            message: `{${name}} must name a required (or defaulted) dataset, team or enum parameter`,
            path: ['resource'],
          });
        }
        shape = shape.replace(`{${name}}`, 'x');
      }
      if (!RESOURCE_PATTERN.test(shape) || shape.includes('*'))
        ctx.addIssue({
          code: 'custom',
          message: 'expected a resource such as task:backfill or team:{team}',
          path: ['resource'],
        });
    }
  })
  .transform((t) => ({
    ...t,
    template: t.workflowTemplate
      ? { kind: 'WorkflowTemplate' as const, name: t.workflowTemplate }
      : { kind: 'ClusterWorkflowTemplate' as const, name: t.clusterWorkflowTemplate ?? '' },
    action: t.action ?? 'tasks.run',
    resource: t.resource ?? `task:${t.name}`,
  }));

export type TaskConfig = z.output<typeof taskSchema>;

/** The list of tasks; a `tasks:` key with only comments under it (null) is an empty list. */
export const tasksSchema = z.preprocess(
  (value) => value ?? [],
  z.array(taskSchema).superRefine((tasks, ctx) => {
    const names = new Set<string>();
    tasks.forEach((t, i) => {
      if (names.has(t.name))
        ctx.addIssue({ code: 'custom', message: `"${t.name}" is defined twice`, path: [i, 'name'] });
      names.add(t.name);
    });
  }),
);
