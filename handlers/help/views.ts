import { Blocks, Md } from 'slack-block-builder';
import type { Command } from '../../pipeline/defineCommand.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections } from '../../pipeline/views/common.ts';

/** "3 more command(s) need access you do not have; …", or nothing when none is hidden. */
function hiddenNote(hidden: number): string {
  return hidden > 0
    ? ` ${hidden} more command(s) need access you do not have; ${codeText('whoami')} shows what you have.`
    : '';
}

/** `help`: the commands the caller may run, and how many more are hidden. */
export function overviewMessage(input: {
  mine: readonly Command[];
  hidden: number;
  groups: readonly string[];
  sandboxNote: string | undefined;
}): Message {
  const { mine, sandboxNote: note } = input;
  const lines = mine.map((c) => `${codeText(c.usage)} — ${escapeMrkdwn(c.summary)}`);
  const groups = input.groups.map(codeText).join(', ');
  const footer = `Type ${codeText('help <command>')} for details and examples, or a group's word for its commands (${groups}).${hiddenNote(input.hidden)}`;
  // Said first while the sandbox runs, so nobody mistakes a simulated change for a real one.
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

/** `help release`: the group's commands the caller may run, each with its usage and first example. */
export function groupMessage(word: string, mine: readonly Command[], hidden: number): Message {
  const lines = mine.map((c) => {
    const [example] = c.examples;
    const line = `${codeText(c.usage)} — ${escapeMrkdwn(c.summary)}`;
    return example === undefined ? line : `${line}\nfor example ${codeText(example)}`;
  });
  const [first] = mine;
  const more = first
    ? `${codeText(`help ${first.name}`)} explains one, with all its examples.`
    : `You may run none of the ${word} commands.`;
  const footer = `${more}${hiddenNote(hidden)}`;
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

/** `help scale`: one command, its usage, whether the caller may run it, and its examples. */
export function commandMessage(command: Command, allowed: boolean): Message {
  const access =
    command.action === undefined
      ? 'Anyone known to dpbot may run it.'
      : `Needs the ${codeText(command.action)} action${allowed ? ' — you have it (on some resources at least).' : ' — you do not have it.'}`;
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
