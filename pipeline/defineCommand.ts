import type { ModalView } from '@slack/types';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { Approval, Decision, Grant } from '../policies/decide.ts';
import type { Message, MessageHandle } from './message.ts';

export type Entry = 'slack' | 'console' | 'cli' | 'button' | 'modal' | 'system';

export interface Caller {
  id: number;
  email: string;
  name: string | null;
  slackUserId: string | null;
  groups: string[];
  grants: Grant[];
  /** Told to the caller before the command's answer: dpbot just made them known (the sandbox's installer). */
  notice?: string;
}

/**
 * What a command gets while it runs. `deps` holds exactly the dependencies its capability
 * declared (see defineCapability), not everything the composition root built.
 */
export interface CommandContext<D = unknown> {
  requestId: string;
  entry: Entry;
  channel: string | null;
  caller: Caller;
  /** The decision that let this run (null for commands that need no grant). */
  decision: Decision | null;
  deps: D;
  log: Logger;
  /** Sends a message for this request; the handle updates it in place (long work, progress). */
  reply(message: Message): Promise<MessageHandle>;
  /**
   * Opens a Slack modal for this request (a form for missing arguments, such as handlers/tasks/form.ts builds);
   * resolves false where there are no modals (the console), so the handler can answer otherwise.
   */
  openModal(view: ModalView): Promise<boolean>;
  /** Whether the caller may do `action` on `resource` (to show buttons only to those who may). */
  may(action: string, resource: string, limits?: Record<string, number>): boolean;
  /**
   * Records a step of this request in the audit log (kind `step`, with the request id, caller,
   * channel and command filled in). It throws when the row cannot be written, so a step recorded
   * before an action keeps the action from happening unrecorded. A step recording something
   * already done (`happened`: a change made, which cannot be undone) is instead held and written
   * when the database answers again; `summary` is what the caller is told was done, should the
   * request fail after it.
   */
  auditStep(step: AuditStep, options?: { happened?: boolean; summary?: string }): Promise<void>;
}

export type AuditStep = { outcome: string } & Pick<AuditEntry, 'action' | 'resource' | 'error' | 'detail'>;

/** A question the caller must answer before the command runs. */
export interface Confirmation {
  /** One line: what will happen (`Scale team-x/workers 4 → 0`). */
  summary: string;
  /** Optional lines shown under it: the diff, the consequences. */
  details?: string[];
  /**
   * Whether going ahead takes something away (a reduction, a deletion, a rollback): the Confirm
   * button is red then, green otherwise. Left out, a confirmation is taken as destructive.
   */
  destructive?: boolean;
}

/**
 * A name in a command's arguments that must be one dpbot knows (a team, a task, a dataset, a
 * service). The pipeline checks it before authorizing, so a typo is answered as unknown, with
 * suggestions among the names the caller may see, rather than as a denial.
 */
export interface NamedResource {
  /** What it names, for the message: `team`, `task`, `service`. */
  kind: string;
  name: string;
  /** Every name of this kind; undefined when that cannot be known now (a catalog that did not answer). */
  known: readonly string[] | undefined;
  /** The resource a name of this kind is authorized as (`team:<name>`). */
  resource: (name: string) => string;
  /** The action whose grants decide which names the caller may see; the command's by default. */
  action?: string;
  /** Where the caller finds the names they may use (`"workers" lists the teams`). */
  hint?: string;
}

/** What a command's name check sees: who asks, before anything is authorized or recorded. */
export interface NameContext<D = unknown> {
  caller: Caller;
  deps: D;
}

/**
 * How tokens map onto argument names. Positionals fill `positionals` in order (the last may end
 * with `...` to take the rest as an array); `--flag value`, `--flag=value` and `key=value` fill
 * the named fields (kebab-case flags become camelCase names).
 */
export interface ParamSpec {
  positionals?: readonly string[];
  flags?: Readonly<Record<string, 'string' | 'boolean'>>;
  /**
   * `key=value` pairs accepted besides the positional names: a list, or 'any', which gathers the
   * pairs that name no argument into `params` (task parameters).
   */
  keyValues?: readonly string[] | 'any';
}

export interface CommandDefinition<S extends z.ZodType, D = unknown> {
  /** One or two words: `whoami`, `task run`. */
  name: string;
  summary: string;
  usage: string;
  examples?: readonly string[];
  /** Longer help shown by `help <command>`. */
  description?: string;
  params?: ParamSpec;
  args: S;
  /** The action the caller must be granted; omitted for commands every known user may run. */
  action?: string;
  /** Resource kinds the action is checked against, for policy checks (`team`). */
  resourceKinds?: readonly string[];
  /** Limit names a grant of this action may set. */
  limitNames?: readonly string[];
  /** The resource the action is checked on; `deps` for a name whose kind only the configuration knows. */
  resource?: (args: z.output<S>, deps: D) => string;
  limits?: (args: z.output<S>) => Record<string, number>;
  /**
   * The names in the arguments that must exist (see NamedResource), checked before authorizing.
   * Keep it cheap: it runs before Slack is acknowledged (configuration, cached catalogs).
   */
  names?: (
    args: z.output<S>,
    ctx: NameContext<D>,
  ) => Promise<readonly NamedResource[]> | readonly NamedResource[];
  confirm?: (args: z.output<S>, ctx: CommandContext<D>) => Promise<Confirmation | null> | Confirmation | null;
  /**
   * Two-person rule decided by the command itself (e.g. scaling above a team's threshold); a
   * grant's `approval` applies as well. The request then waits for approvers before it runs.
   */
  approval?: (args: z.output<S>, ctx: CommandContext<D>) => Promise<Approval | null> | Approval | null;
  run: (args: z.output<S>, ctx: CommandContext<D>) => Promise<Message | undefined> | Message | undefined;
}

/** A command with its argument type erased, as the registry and the pipeline hold it. */
export interface Command<D = unknown> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly examples: readonly string[];
  readonly description: string | undefined;
  readonly params: ParamSpec;
  readonly action: string | undefined;
  readonly resourceKinds: readonly string[];
  readonly limitNames: readonly string[];
  readonly needsConfirmation: boolean;
  validate(raw: Record<string, unknown>): { ok: true; args: unknown } | { ok: false; error: z.ZodError };
  /** Only a bound command (bindCommand) is authorized, so `deps` is there whenever it is asked. */
  resource(args: unknown, deps?: D): string;
  limits(args: unknown): Record<string, number>;
  names(args: unknown, ctx: NameContext<D>): Promise<readonly NamedResource[]>;
  confirm(args: unknown, ctx: CommandContext<D>): Promise<Confirmation | null>;
  approval(args: unknown, ctx: CommandContext<D>): Promise<Approval | null>;
  run(args: unknown, ctx: CommandContext<D>): Promise<Message | undefined>;
}

/**
 * Declares a command once; every entry point (slash command, button, modal, console) runs it
 * through the same pipeline.
 */
export function defineCommand<S extends z.ZodType, D = unknown>(def: CommandDefinition<S, D>): Command<D> {
  // The erased `args` only ever come from `validate`, i.e. from `def.args.safeParse`, so they are
  // the schema's output type; the casts below restore what erasure hid.
  type Args = z.output<S>;
  return {
    name: def.name,
    summary: def.summary,
    usage: def.usage,
    examples: def.examples ?? [],
    description: def.description,
    params: def.params ?? {},
    action: def.action,
    resourceKinds: def.resourceKinds ?? [],
    limitNames: def.limitNames ?? [],
    needsConfirmation: def.confirm !== undefined,
    validate(raw) {
      const parsed = def.args.safeParse(raw);
      return parsed.success ? { ok: true, args: parsed.data } : { ok: false, error: parsed.error };
    },
    resource: (args, deps) => def.resource?.(args as Args, deps as D) ?? '*',
    limits: (args) => def.limits?.(args as Args) ?? {},
    names: async (args, ctx) => (def.names ? await def.names(args as Args, ctx) : []),
    confirm: async (args, ctx) => (def.confirm ? ((await def.confirm(args as Args, ctx)) ?? null) : null),
    approval: async (args, ctx) => (def.approval ? ((await def.approval(args as Args, ctx)) ?? null) : null),
    run: async (args, ctx) => (await def.run(args as Args, ctx)) ?? undefined,
  };
}

/**
 * A capability's command with its dependencies filled in: what the registry and the pipeline
 * hold. The pipeline's own context carries no dependencies; this puts the capability's in.
 */
export function bindCommand<D>(command: Command<D>, deps: D): Command {
  const withDeps = (ctx: CommandContext): CommandContext<D> => ({ ...ctx, deps });
  return {
    ...command,
    resource: (args) => command.resource(args, deps),
    names: (args, ctx) => command.names(args, { ...ctx, deps }),
    confirm: (args, ctx) => command.confirm(args, withDeps(ctx)),
    approval: (args, ctx) => command.approval(args, withDeps(ctx)),
    run: (args, ctx) => command.run(args, withDeps(ctx)),
  };
}

/**
 * `defineCommand` with a capability's dependencies fixed, so that only the argument schema is
 * inferred: `const command = commandsWith<ScalingDeps>(); export const scale = command({...})`.
 */
export function commandsWith<D>(): <S extends z.ZodType>(def: CommandDefinition<S, D>) => Command<D> {
  return (def) => defineCommand(def);
}
