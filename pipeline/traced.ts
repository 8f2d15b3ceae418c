import { tracing } from '../core/tracing.ts';
import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { Acker } from './acker.ts';
import type { Command, CommandContext } from './defineCommand.ts';
import type { PipelineDeps } from './pipelineDeps.ts';

/**
 * The pipeline's dependencies with a span around each stage they carry out: `identify` (who is
 * asking), `authorize` (the policy decision), `audit` (each row written), and through the commands
 * the registry hands out `confirm`, `approve` and `execute`. The stages themselves (admit,
 * confirmations, execute) are unchanged: they call these as they always did. Without tracing the
 * dependencies are returned as they are.
 */
export function tracedDeps(deps: PipelineDeps): PipelineDeps {
  if (!tracing().on) return deps;
  const t = tracing();
  const row = (entry: AuditEntry) => ({
    'dpbot.audit.kind': entry.kind,
    'dpbot.audit.outcome': entry.outcome ?? entry.decision ?? undefined,
  });
  const identity = deps.identity;
  const commands = new WeakMap<Command, Command>();
  const traced = (command: Command): Command => {
    let wrapped = commands.get(command);
    if (!wrapped) {
      const attributes = { 'dpbot.command': command.name };
      wrapped = {
        ...command,
        confirm: (args, ctx) => t.span('confirm', attributes, () => command.confirm(args, ctx)),
        approval: (args, ctx) => t.span('approve', attributes, () => command.approval(args, ctx)),
        run: (args, ctx) => t.span('execute', attributes, () => command.run(args, ctx)),
      };
      commands.set(command, wrapped);
    }
    return wrapped;
  };
  return {
    ...deps,
    audit: {
      append: (entry) => t.span('audit', row(entry), () => deps.audit.append(entry)),
      appendOrHold: (entry) => t.span('audit', row(entry), () => deps.audit.appendOrHold(entry)),
    },
    // A class with private state: every other member is the instance's own, bound to it.
    identity: new Proxy(identity, {
      get(target, key) {
        if (key === 'resolve')
          return (...args: Parameters<typeof identity.resolve>) =>
            t.span('identify', {}, () => target.resolve(...args));
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
    registry: {
      get: (name) => {
        const command = deps.registry.get(name);
        return command && traced(command);
      },
      resolve: (tokens) => {
        const found = deps.registry.resolve(tokens);
        return { ...found, command: traced(found.command) };
      },
      group: (word) => deps.registry.group(word),
      all: () => deps.registry.all(),
    },
    // The decision itself is a computation of microseconds (policies/decide.ts), made between
    // identifying and auditing; its span records what was decided, when.
    metrics: {
      commandFinished: (...args) => deps.metrics.commandFinished(...args),
      decision: (action, allowed) =>
        t.spanSync('authorize', { 'dpbot.action': action, 'dpbot.allowed': allowed }, () =>
          deps.metrics.decision(action, allowed),
        ),
    },
  };
}

/** The acknowledgement and every reply of a request, each in its span (`reply`). */
export function tracedAcker(ack: Acker): Acker {
  if (!tracing().on) return ack;
  const t = tracing();
  return {
    say: (message) => t.span('reply', {}, () => ack.say(message)),
    done: () => ack.done(),
  };
}

/** A command's own messages (its result, its progress), each in its span (`reply`). */
export function tracedContext(ctx: CommandContext): CommandContext {
  if (!tracing().on) return ctx;
  const t = tracing();
  return { ...ctx, reply: (message) => t.span('reply', {}, () => ctx.reply(message)) };
}
