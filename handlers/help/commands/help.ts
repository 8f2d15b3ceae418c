import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import type { Command, CommandContext } from '../../../pipeline/defineCommand.ts';
import { blocks, type Message } from '../../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections } from '../../../pipeline/views/common.ts';
import { mayEver } from '../../../policies/decide.ts';
import { defineCommand, type HelpDeps } from '../deps.ts';

function allowed(command: Command, ctx: CommandContext<HelpDeps>): boolean {
  return command.action === undefined || mayEver(ctx.caller.grants, command.action);
}

function overview(ctx: CommandContext<HelpDeps>): Message {
  const mine = ctx.services.registry.all().filter((c) => allowed(c, ctx));
  const lines = mine.map((c) => `${codeText(c.usage)} — ${escapeMrkdwn(c.summary)}`);
  const hidden = ctx.services.registry.all().length - mine.length;
  const footer = `Type ${codeText('help <command>')} for details and examples.${
    hidden > 0
      ? ` ${hidden} more command(s) need access you do not have; ${codeText('whoami')} shows what you have.`
      : ''
  }`;
  // Said first while the sandbox runs, so nobody mistakes a simulated change for a real one.
  const note = ctx.services.sandboxNote;
  const sandbox = note ? [note] : [];
  return {
    text: [...sandbox, 'Commands you may run:', ...mine.map((c) => `${c.usage} — ${c.summary}`)].join('\n'),
    blocks: blocks(
      Blocks.Header({ text: 'dpbot commands you may run' }),
      note !== undefined && Blocks.Context().elements(note),
      ...lineSections(lines),
      Blocks.Context().elements(footer),
    ),
  };
}

function detail(command: Command, ctx: CommandContext<HelpDeps>): Message {
  const access =
    command.action === undefined
      ? 'Anyone known to dpbot may run it.'
      : `Needs the ${codeText(command.action)} action${allowed(command, ctx) ? ' — you have it (on some resources at least).' : ' — you do not have it.'}`;
  const parts = [
    `${Md.bold(command.name)} — ${escapeMrkdwn(command.summary)}`,
    `Usage: ${codeText(command.usage)}`,
    command.description ? escapeMrkdwn(command.description) : '',
    access,
  ].filter(Boolean);
  const examples = command.examples.map(codeText).join('\n');
  return {
    text: [command.name, command.summary, `Usage: ${command.usage}`, ...command.examples].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: parts.join('\n') }),
      command.examples.length > 0 && Blocks.Section({ text: `${Md.bold('Examples')}\n${examples}` }),
    ),
  };
}

export const help = defineCommand({
  name: 'help',
  summary: 'List the commands you may run, or explain one',
  usage: 'help [command]',
  examples: ['help', 'help scale', 'help task run'],
  params: { positionals: ['topic...'] },
  args: z.object({ topic: z.array(z.string().max(64)).max(3).optional() }),
  run: (args, ctx) => {
    if (!args.topic?.length) return overview(ctx);
    const { command } = ctx.services.registry.resolve(args.topic);
    return detail(command, ctx);
  },
});
