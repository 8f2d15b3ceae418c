import { Blocks, Elements, Md } from 'slack-block-builder';
import { InputError } from '../../../core/errors.ts';
import type { Message } from '../../../pipeline/message.ts';
import { blocks } from '../../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections, RUN_ACTION } from '../../../pipeline/views/common.ts';
import { clipText, type Page, pageButtons, pageOf } from '../../../pipeline/views/paging.ts';
import { taskUsage, valuesCommand } from '../catalog.ts';
import type { TaskConfig } from '../config.ts';
import { describeType, type TaskParameter } from '../parameters.ts';

/** Values per page: one line each, a few sections of a message. */
export const VALUES_PER_PAGE = 100;

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

/** Tasks per page: a section each, beside a header, a footer and the page buttons (50 blocks at most). */
const TASKS_PER_PAGE = 20;

/** `task list` when the caller may run none of the tasks. */
export function noTasksMessage(text: string): Message {
  return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
}

/** The page of `task list` a request asks for; past the end is the last page. */
export function taskListPage(mine: readonly TaskConfig[], requested: number): Page<TaskConfig> {
  return pageOf(mine, requested, TASKS_PER_PAGE);
}

/** One page of `task list`: a section per task with its Run button. */
export function taskListMessage(page: Page<TaskConfig>, total: number, hidden: number): Message {
  const footer = `${codeText('task run <task>')} with no parameters opens a form.${hidden > 0 ? ` ${hidden} more task(s) need access you do not have.` : ''}`;
  const paged = page.pages > 1;
  const title = paged
    ? `Tasks you may run: ${total} · page ${page.page} of ${page.pages}`
    : 'Tasks you may run';
  const more = page.after > 0 ? `${page.after} more: ${codeText(`task list page=${page.page + 1}`)}` : '';
  const sections = page.items.map((t) =>
    Blocks.Section({
      text: `${Md.bold(escapeMrkdwn(t.name))} — ${escapeMrkdwn(t.description)}${t.confirm ? ' (asks to confirm)' : ''}\n${codeText(clipText(taskUsage(t), 2000))}`,
    }).accessory(Elements.Button({ text: 'Run', actionId: RUN_ACTION, value: `task run ${t.name}` })),
  );
  const navigation = pageButtons(page, (n) => `task list page=${n}`);
  return {
    text: [
      `${title}:`,
      ...page.items.map((t) => `${taskUsage(t)} — ${t.description}`),
      ...(page.after > 0 ? [`${page.after} more: task list page=${page.page + 1}`] : []),
    ].join('\n'),
    blocks: blocks(
      Blocks.Header({ text: title }),
      ...sections,
      Blocks.Context().elements(more ? `${more} · ${footer}` : footer),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}
