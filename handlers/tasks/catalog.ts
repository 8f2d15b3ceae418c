import { InputError, NotAllowedError } from '../../core/errors.ts';
import { clipText } from '../../core/text.ts';
import type { CommandContext, NamedResource } from '../../pipeline/defineCommand.ts';
import { andMore } from '../../pipeline/views/paging.ts';
import type { ActionInfo } from '../../policies/actionCatalog.ts';
import { mayEver } from '../../policies/decide.ts';
import type { TaskConfig } from './config.ts';
import type { TasksDeps, TasksSettings } from './deps.ts';
import { placeholder, type TaskParameter } from './parameters.ts';

/** The action every `task run` is checked against by the pipeline, on `task:<name>`. */
export const TASKS_RUN = 'tasks.run';

/** Actions tasks name besides tasks.run, for the action catalog (policy checks). */
export function taskActions(config: Pick<TasksSettings, 'tasks'>): ActionInfo[] {
  const byAction = new Map<string, Set<string>>();
  for (const task of config.tasks) {
    const kind = task.resource.slice(0, task.resource.indexOf(':'));
    const kinds = byAction.get(task.action) ?? new Set<string>();
    kinds.add(kind);
    byAction.set(task.action, kinds);
  }
  return [...byAction].map(([action, kinds]) => ({
    action,
    summary: 'Run an ops task (named by the task in the configuration)',
    resourceKinds: [...kinds],
    limits: [],
  }));
}

/**
 * The task as `task run` uses it: team parameters that list no teams of their own offer (and
 * accept) the teams of the configuration (`teams:`).
 */
export function withTeamChoices(task: TaskConfig, config: Pick<TasksSettings, 'teams'>): TaskConfig {
  const teams = config.teams.map((t) => t.name);
  if (teams.length === 0 || !task.parameters.some((p) => p.type === 'team' && !p.values?.length)) return task;
  return {
    ...task,
    parameters: task.parameters.map((p) =>
      p.type === 'team' && !p.values?.length ? { ...p, values: teams } : p,
    ),
  };
}

export function findTask(config: TasksSettings, name: string): TaskConfig {
  const task = config.tasks.find((t) => t.name === name);
  if (task) return withTeamChoices(task, config);
  // Commands check task names before authorizing (taskNamed), suggesting only tasks the caller
  // may run; this is reached only when the configuration changed under a waiting request.
  throw new InputError(`there is no task "${name}"; ${TASK_LIST_HINT}`);
}

const TASK_LIST_HINT = '"task list" shows the tasks you may run';

/** A task named in a command, checked against `tasks` before authorizing; suggested if the caller may run it. */
export function taskNamed(config: TasksSettings, name: string): NamedResource {
  return {
    kind: 'task',
    name,
    known: config.tasks.map((t) => t.name),
    resource: (n) => `task:${n}`,
    action: TASKS_RUN,
    hint: TASK_LIST_HINT,
  };
}

/** Longest usage line: it shares a Slack section (3,000 characters) with a description or problems. */
export const USAGE_MAX = 1200;

/**
 * The command line that runs the task, for usage lines and hints. A task with more parameters than
 * fit in USAGE_MAX names its required ones and counts the optional ones (the form shows them all).
 */
export function taskUsage(task: TaskConfig): string {
  const required = (p: TaskParameter) => p.required && p.default === undefined;
  const pair = (p: TaskParameter) => `${p.name}=${placeholder(p)}`;
  const parts = task.parameters.map((p) => (required(p) ? pair(p) : `[${pair(p)}]`));
  const full = ['task run', task.name, ...parts, '[ticket=<JIRA-KEY>]'].join(' ');
  if (full.length <= USAGE_MAX) return full;
  const optional = task.parameters.filter((p) => !required(p)).length;
  const short = [
    'task run',
    task.name,
    ...task.parameters.filter(required).map(pair),
    ...(optional > 0 ? [`[${optional} optional name=value]`] : []),
    '[ticket=<JIRA-KEY>]',
  ].join(' ');
  return clipText(short, USAGE_MAX);
}

/** The command that lists every choice of a parameter, where messages name only a few. */
export function valuesCommand(task: Pick<TaskConfig, 'name'>, p: Pick<TaskParameter, 'name'>): string {
  return `task list ${task.name} ${p.name}`;
}

/** The resource the task's own check is made on, its `{param}` placeholders filled in. */
export function taskResource(task: TaskConfig, values: Readonly<Record<string, string>>): string {
  return task.resource.replace(/\{([^}]*)\}/g, (_m, name: string) => values[name] ?? `{${name}}`);
}

/** Whether the task asks for more than the pipeline's check (tasks.run on task:<name>). */
export function hasOwnCheck(task: TaskConfig): boolean {
  return task.action !== TASKS_RUN || task.resource !== `task:${task.name}`;
}

/**
 * Whether the caller may run the task with some parameters: the pipeline's grant, and for a task
 * with its own action or a resource that depends on parameters, a grant of that action at all.
 */
export function mayRun(ctx: CommandContext<TasksDeps>, task: TaskConfig): boolean {
  if (!ctx.may(TASKS_RUN, `task:${task.name}`)) return false;
  if (!hasOwnCheck(task)) return true;
  if (task.resource.includes('{')) return mayEver(ctx.caller.grants, task.action);
  return ctx.may(task.action, task.resource);
}

/**
 * The check a task adds to the pipeline's: its own action on its own resource (say `team:{team}`,
 * so a team's on-call may run it for their team only).
 */
export function authorizeTask(
  ctx: CommandContext<TasksDeps>,
  task: TaskConfig,
  values: Readonly<Record<string, string>>,
): void {
  if (!hasOwnCheck(task)) return;
  const resource = taskResource(task, values);
  if (!ctx.may(task.action, resource)) {
    throw new NotAllowedError(
      `task ${task.name} also needs the ${task.action} action on ${resource}, and no grant of yours gives it. Ask ${ctx.deps.config.access.adminContact} for access.`,
    );
  }
}

/** The namespace a task's workflows run in. */
export function taskNamespace(config: TasksSettings, task: TaskConfig): string {
  return task.namespace ?? config.argo.namespace;
}

/** The parameter of a task by name; a wrong name is told the parameters there are. */
export function findParameter(task: TaskConfig, name: string, usage: string): TaskParameter {
  const p = task.parameters.find((x) => x.name === name);
  if (p) return p;
  const names = task.parameters.map((x) => x.name);
  throw new InputError(
    `${task.name} has no parameter "${name}"${names.length ? ` (parameters: ${andMore(names, 20)})` : ' (it takes none)'}`,
    usage,
  );
}
