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

/** The groups of commands (`access`, `release`, `task`): the first words of two-word commands. */
function groupWords(commands: readonly Command[]): string[] {
  return [
    ...new Set(commands.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] ?? c.name)),
  ];
}

/** "3 more command(s) need access you do not have; …", or nothing when none is hidden. */
function hiddenNote(hidden: number): string {
  return hidden > 0
    ? ` ${hidden} more command(s) need access you do not have; ${codeText('whoami')} shows what you have.`
    : '';
}

function overview(ctx: CommandContext<HelpDeps>): Message {
  const all = ctx.deps.registry.all();
  const mine = all.filter((c) => allowed(c, ctx));
  const lines = mine.map((c) => `${codeText(c.usage)} — ${escapeMrkdwn(c.summary)}`);
  const groups = groupWords(all).map(codeText).join(', ');
  const footer = `Type ${codeText('help <command>')} for details and examples, or a group's word for its commands (${groups}).${hiddenNote(all.length - mine.length)}`;
  // Said first while the sandbox runs, so nobody mistakes a simulated change for a real one.
  const note = ctx.deps.sandboxNote;
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

/**
 * `help release` (or a bare `release`): the group's commands the caller may run, each with its
 * usage and its first example, so the right one can be typed without a second look-up.
 */
function groupDetail(word: string, members: readonly Command[], ctx: CommandContext<HelpDeps>): Message {
  const mine = members.filter((c) => allowed(c, ctx));
  const lines = mine.map((c) => {
    const [example] = c.examples;
    const line = `${codeText(c.usage)} — ${escapeMrkdwn(c.summary)}`;
    return example === undefined ? line : `${line}\nfor example ${codeText(example)}`;
  });
  const [first] = mine;
  const more = first
    ? `${codeText(`help ${first.name}`)} explains one, with all its examples.`
    : `You may run none of the ${word} commands.`;
  const footer = `${more}${hiddenNote(members.length - mine.length)}`;
  return {
    text: [
      `${word} commands you may run:`,
      ...mine.flatMap((c) => [
        `${c.usage} — ${c.summary}`,
        ...c.examples.slice(0, 1).map((e) => `  for example ${e}`),
      ]),
    ].join('\n'),
    blocks: blocks(
      Blocks.Header({ text: `${word} commands you may run` }),
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
  const group = command.name.includes(' ') ? command.name.split(' ')[0] : undefined;
  return {
    text: [command.name, command.summary, `Usage: ${command.usage}`, ...command.examples].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: parts.join('\n') }),
      command.examples.length > 0 && Blocks.Section({ text: `${Md.bold('Examples')}\n${examples}` }),
      group !== undefined &&
        Blocks.Context().elements(`The other ${group} commands: ${codeText(`help ${group}`)}`),
    ),
  };
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
