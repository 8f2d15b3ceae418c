import { z } from 'zod';
import type { Command, CommandContext } from '../../../pipeline/defineCommand.ts';
import type { Message } from '../../../pipeline/message.ts';
import { mayEver } from '../../../policies/decide.ts';
import { defineCommand, type HelpDeps } from '../deps.ts';
import { commandMessage, groupMessage, overviewMessage } from '../views.ts';

function allowed(command: Command, ctx: CommandContext<HelpDeps>): boolean {
  return command.action === undefined || mayEver(ctx.caller.grants, command.action);
}

/** The groups of commands (`access`, `release`, `task`): the first words of two-word commands. */
function groupWords(commands: readonly Command[]): string[] {
  return [
    ...new Set(commands.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] ?? c.name)),
  ];
}

function overview(ctx: CommandContext<HelpDeps>): Message {
  const all = ctx.deps.registry.all();
  const mine = all.filter((c) => allowed(c, ctx));
  return overviewMessage({
    mine,
    hidden: all.length - mine.length,
    groups: groupWords(all),
    sandboxNote: ctx.deps.sandboxNote,
  });
}

/**
 * `help release` (or a bare `release`): the group's commands the caller may run, each with its
 * usage and its first example, so the right one can be typed without a second look-up.
 */
function groupDetail(word: string, members: readonly Command[], ctx: CommandContext<HelpDeps>): Message {
  const mine = members.filter((c) => allowed(c, ctx));
  return groupMessage(word, mine, members.length - mine.length);
}

function detail(command: Command, ctx: CommandContext<HelpDeps>): Message {
  return commandMessage(command, allowed(command, ctx));
}

export const help = defineCommand({
  name: 'help',
  summary: 'List the commands you may run, or explain one or a group of them',
  usage: 'help [command|group]',
  examples: ['help', 'help scale', 'help release', 'help task run'],
  params: { positionals: ['topic...'] },
  args: z.object({ topic: z.array(z.string().max(64)).max(3).optional() }),
  run: (args, ctx) => {
    if (!args.topic?.length) return overview(ctx);
    const [word, ...rest] = args.topic;
    const members = word !== undefined && rest.length === 0 ? ctx.deps.registry.group(word) : [];
    if (word !== undefined && members.length > 0) return groupDetail(word.toLowerCase(), members, ctx);
    const { command } = ctx.deps.registry.resolve(args.topic);
    return detail(command, ctx);
  },
});
