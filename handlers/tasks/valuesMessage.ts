import { Blocks, Md } from 'slack-block-builder';
import { InputError } from '../../core/errors.ts';
import type { Message } from '../../pipeline/message.ts';
import { blocks } from '../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections } from '../../pipeline/views/common.ts';
import { andMore, pageButtons, pageOf } from '../../pipeline/views/paging.ts';
import { taskUsage, valuesCommand } from './catalog.ts';
import type { TaskConfig } from './config.ts';
import { describeType, type TaskParameter } from './parameters.ts';

/** Values per page: one line each, a few sections of a message. */
export const VALUES_PER_PAGE = 100;

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

/** `task list <task>`: the task's usage and one line per parameter, what it takes and why. */
export function taskMessage(task: TaskConfig): Message {
  const lines = task.parameters.map((p) => {
    const more = `"${valuesCommand(task, p)}" lists them`;
    const optional =
      p.required && p.default === undefined
        ? ''
        : ` (optional${p.default !== undefined ? `, default ${p.default}` : ''})`;
    return `${p.name}${optional}: ${describeType(p, more)}${p.description ? ` — ${p.description}` : ''}`;
  });
  const usage = taskUsage(task);
  const title = `${task.name}: ${task.description}`;
  return {
    text: [title, usage, ...lines].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold(escapeMrkdwn(task.name))}: ${escapeMrkdwn(task.description)}` }),
      Blocks.Section({ text: codeText(usage) }),
      ...lineSections(
        lines.map((l) => `• ${escapeMrkdwn(l)}`),
        20,
      ),
      Blocks.Context().elements(`${codeText(`task run ${task.name}`)} with no parameters opens a form`),
    ),
  };
}

/** `task list <task> <parameter>`: every choice of an enum or team parameter, a page at a time. */
export function valuesMessage(
  task: TaskConfig,
  p: TaskParameter,
  requested: number,
  options: { usage: string; button: boolean },
): Message {
  const values = p.type === 'bool' ? ['true', 'false'] : (p.values ?? []);
  if (values.length === 0) {
    const text = `${task.name} ${p.name} takes any ${p.type === 'team' ? 'team name' : `${p.type} value`}; it has no list of values.`;
    return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
  }
  const page = pageOf(values, requested, VALUES_PER_PAGE);
  if (requested > page.pages && !options.button)
    throw new InputError(
      `page ${requested} is past the last page (${page.pages}) of ${values.length} value(s)`,
      options.usage,
    );
  const command = valuesCommand(task, p);
  const first = (page.page - 1) * VALUES_PER_PAGE + 1;
  const range =
    page.pages > 1 ? ` · ${first}–${first + page.items.length - 1}, page ${page.page} of ${page.pages}` : '';
  const title = `${task.name} ${p.name}: ${values.length} value(s)${range}`;
  const more = page.after > 0 ? `${page.after} more: ${command} page=${page.page + 1}` : '';
  const navigation = pageButtons(page, (n) => `${command} page=${n}`);
  return {
    text: [title, ...page.items, ...(more ? [more] : [])].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
      ...lineSections(page.items.map((v) => `• ${escapeMrkdwn(v)}`)),
      Blocks.Context().elements(
        more
          ? escapeMrkdwn(more)
          : `${codeText(`task run ${task.name} ${p.name}=<value>`)} runs it with one of them`,
      ),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}
